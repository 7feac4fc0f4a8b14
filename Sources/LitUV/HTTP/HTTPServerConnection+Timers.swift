// The connection's timers (one per connection: the deadlines of its pending answers, the header and idle timeouts,
// the first-byte grace of a drain, the minimum body data rate) and the answers they force. The state they work on is
// `HTTPServerConnection.live`, declared in HTTPServerConnection.swift.

extension HTTPServerConnection {
    // MARK: Timers

    func rearmTimer() {
        guard !live.closing, !live.isClosed else { return }
        var deadline = UInt64.max
        if live.current != nil {
            deadline = min(live.lastActivity &+ state.idleTimeout, live.bodyRate.nextCheck)  // a stalled or slow body
        } else if live.paused {
            // The server stopped reading until the client reads its answers: what it has received and not parsed is
            // not held to the header timeout. Once every answer is written, the client must read some of them within
            // each keep-alive timeout.
            if liveSlotCount == 0 { deadline = live.lastActivity &+ state.idleTimeout }
        } else if !live.carry.isEmpty || liveSlotCount == 0 {
            // Waiting for (the rest of) a request head: the header timeout while bytes are partial, else idle.
            deadline =
                live.carry.isEmpty && live.nextSequence > 0
                ? live.lastActivity &+ state.idleTimeout
                : live.headerStartedAt &+ state.headerTimeout
        }
        for index in live.slotHead..<live.slots.count {
            if let pending = live.slots[index].pending { deadline = min(deadline, pending.deadline) }
        }
        if live.drainMarkAtFirstRead { deadline = min(deadline, live.firstByteDeadline) }
        // A later deadline keeps the armed timer: if it fires early, `connectionTimerDidFire` checks the real
        // deadlines and re-arms. Keep-alive traffic pushes the deadline later on every request, so this saves a
        // uv_timer_stop/uv_timer_start pair (two heap updates) per request.
        guard deadline < live.armedDeadline else { return }
        live.armedDeadline = deadline
        let now = Monotonic.nanoseconds()
        let milliseconds = deadline > now ? (deadline - now + 999_999) / 1_000_000 : 0
        transport.setTimer(milliseconds: milliseconds)
    }

    func connectionTimerDidFire() {
        live.armedDeadline = .max
        let now = Monotonic.nanoseconds()
        if live.drainMarkAtFirstRead && now >= live.firstByteDeadline {
            closeNow()  // connected before the drain, but sent nothing within the grace
            return
        }
        var answered = false
        for index in live.slotHead..<live.slots.count {
            if let pending = live.slots[index].pending, pending.deadline <= now, live.slots[index].stream?.end == nil {
                expire(index, with: .error(.gatewayTimeout, "Request timed out"))
                answered = true
            }
        }
        if answered {
            live.lastActivity = now
            writeReadySlots()
            transport.flush()
        }
        if live.current != nil {
            if refuseSlowBody(now: now) {
                rearmTimer()
                return
            }
            if now >= live.lastActivity &+ state.idleTimeout {
                closeNow()
                return
            }
        } else if live.paused {
            if liveSlotCount == 0 && now >= live.lastActivity &+ state.idleTimeout {
                let queued = transport.queuedByteCount
                guard queued < live.queuedAtLastCheck else {
                    closeNow()  // the client read none of its answers in a whole keep-alive timeout
                    return
                }
                live.queuedAtLastCheck = queued
                live.lastActivity = now
            }
        } else if !live.carry.isEmpty || liveSlotCount == 0 {
            let limit =
                live.carry.isEmpty && live.nextSequence > 0
                ? live.lastActivity &+ state.idleTimeout
                : live.headerStartedAt &+ state.headerTimeout
            if now >= limit && liveSlotCount == 0 {
                closeNow()
                return
            }
        }
        rearmTimer()
    }

    /// Ends a pending answer early: a waiting request gets `response`; a stream that already started gets its
    /// error trailer and the connection closes after it.
    func expire(_ index: Int, with response: HTTPResponse) {
        live.slots[index].pending?.cancel()
        live.slots[index].pending = nil
        if var stream = live.slots[index].stream {
            if stream.end == nil && stream.failure == nil {
                stream.failure = stream.timeoutTrailer
                live.slots[index].stream = stream
            }
        } else {
            live.slots[index].response = response
        }
    }

    /// Answers every request still waiting for a prediction with `response` (the drain timeout passed).
    func failPending(with response: HTTPResponse) {
        guard !live.isClosed else { return }
        var answered = false
        for index in live.slotHead..<live.slots.count where live.slots[index].pending != nil {
            expire(index, with: response)
            answered = true
        }
        if answered {
            writeReadySlots()
            transport.flush()
        }
    }

    // MARK: Minimum body data rate

    /// Starts the body clock of the request whose head was just parsed (``BodyDataRate``). The clock starts when the
    /// server parses the head, which it does only while it reads: reading pauses only between requests (after a
    /// request's end), so time in which the server does not read never counts against a body.
    func startBodyClock(_ head: HTTPRequestHead, bodyOffset: UInt64) {
        guard let configured = state.bodyRateLimit, (head.contentLength ?? 0) > 0 || head.isChunked,
            live.current != nil
        else {
            live.bodyRate.start(offset: bodyOffset, now: 0, limit: nil, awaitsContinue: false)
            return
        }
        var limit: BodyRateClock.Limit? = configured
        if state.hasBodyRateExemptions {
            // Only then is the route looked at (copying it costs a retain and a release per request).
            limit = live.current.flatMap { state.bodyRateLimit(for: $0.route) }
        }
        live.bodyRate.start(
            offset: bodyOffset,
            now: Monotonic.nanoseconds(),
            limit: limit,
            awaitsContinue: head.expectation == .continue
        )
    }

    /// At the timer: answers 408 and closes when the body being read is slower than the minimum rate. Bytes the
    /// kernel holds count as received, so a busy loop does not count against the client.
    /// - Returns: True when the request was refused.
    func refuseSlowBody(now: UInt64) -> Bool {
        guard !live.paused,
            live.bodyRate.isTooSlow(now: now, received: live.bytesRead &+ UInt64(transport.unreadByteCount)),
            let request = live.current.take()
        else { return false }
        live.discardingInput = true
        live.carry.removeAll()
        enqueue(BodyRateClock.response, summary: request.summary, decoration: request.decoration)
        if live.owesDrainRelease { releaseDrainIfRead() }
        transport.flush()
        return true
    }
}
