/// Work answered later (a prediction): the connection keeps its place in the pipeline and may cancel it.
protocol PendingResponse: AnyObject {
    /// Monotonic nanoseconds at which the request times out (`UInt64.max` for never).
    var deadline: UInt64 { get }
    /// Called on the loop thread when the answer is no longer wanted (client gone, or deadline passed).
    func cancel()
    /// Called on the loop thread when `count` bytes of a streamed answer reached the kernel (flow control).
    func streamBytesDelivered(_ count: Int)
}

/// One event of a streamed answer, from a worker to the connection.
enum HTTPStreamEvent: Sendable {
    /// The answer starts (status 200). `chunked`: Transfer-Encoding chunked (else the connection closes at the end).
    /// `timeoutTrailer` is written, and the connection closed, if the deadline passes mid-stream.
    case head(HTTPResponse.ContentType, timeoutTrailer: [UInt8])
    /// Bytes to send now.
    case chunk([UInt8])
    /// The last bytes of a successful answer; the stream ends cleanly after them.
    case end([UInt8])
    /// The stream failed. Before its head: `response` is sent instead (a normal HTTP error). After it: `trailer` is
    /// sent and the connection closes — never a silent clean end.
    case fail(HTTPResponse, trailer: [UInt8])
}

/// What to do with a request once its head has been parsed.
enum HTTPRoute {
    /// Answer with this response once the request (and its body, discarded) is complete.
    case respond(HTTPResponse)
    /// Collect the body (at most `limits.maxPayloadSize` bytes, enforced by the parser) and call
    /// ``HTTPRequestHandler/dispatch(target:head:body:responder:)``.
    /// `headers` are the request's header fields when the target asked for them (else empty).
    case collectBody(target: Int, headers: [(name: String, value: String)])
}

/// The server side that decides what each request means. Loop thread only.
protocol HTTPRequestHandler: AnyObject {
    /// Decides at head time. `buffer` holds the head (ranges in `head` index into it) only during the call.
    /// - Returns: What to do, and a tag identifying the route for ``didRespond(tag:status:)``.
    func route(_ head: HTTPRequestHead, in buffer: UnsafeRawBufferPointer) -> (HTTPRoute, tag: Int)
    /// Called once per final response written (for request counters).
    func didRespond(tag: Int, status: Int)
    /// Handles a request whose body is complete: answers now or returns pending work answered through `responder`.
    func dispatch(
        target: Int,
        head: RequestSummary,
        headers: [(name: String, value: String)],
        body: [UInt8],
        responder: HTTPResponder
    ) -> HTTPDispatch
    /// True while the server drains: connections close once their pending answers are written.
    var isDraining: Bool { get }
    /// Per-loop state shared by every connection of the loop (date cache, limits, timeouts).
    var loopState: HTTPLoopState { get }
    /// Called when a connection closes (for the loop's connection registry).
    func connectionDidClose(_ connection: HTTPServerConnection)
}

/// The parts of a request head kept after parsing (the head's byte ranges are gone by then).
struct RequestSummary: Sendable {
    var method: HTTPMethod
    var minorVersion: Int
    var keepAlive: Bool
    /// The route's tag from ``HTTPRequestHandler/route(_:in:)`` (-1 before routing).
    var tag: Int = -1
}

/// The answer to ``HTTPRequestHandler/dispatch(target:head:body:responder:)``.
enum HTTPDispatch {
    case respond(HTTPResponse)
    case pending(PendingResponse)
}

/// Where a deferred answer goes: the connection and the request's place in its pipeline.
struct HTTPResponder: @unchecked Sendable {
    // Invariant for @unchecked Sendable: the connection is only dereferenced on its loop thread (`complete` is
    // called from the loop's completion drain); other threads merely carry the reference.
    let connection: HTTPServerConnection
    let sequence: UInt64

    /// The TLS server name (SNI) of the connection, if any. Loop thread only.
    var serverName: String? { connection.serverName }

    /// Delivers the answer. Loop thread only. Ignored when the request already timed out or the client left.
    func complete(_ response: HTTPResponse) {
        connection.complete(sequence: sequence, with: response)
    }

    /// Delivers one event of a streamed answer. Loop thread only.
    func stream(_ event: HTTPStreamEvent) {
        connection.streamEvent(sequence: sequence, event)
    }
}

/// Settings and state shared by the connections of one loop. Loop thread only.
final class HTTPLoopState {
    // Loop thread only, and never accessed twice at once: release builds skip the dynamic exclusivity check (as for
    // the connection's state below).
    #if DEBUG
    var date = DateCache()
    #else
    @exclusivity(unchecked) var date = DateCache()
    #endif
    let limits: HTTPLimits
    /// Nanoseconds a request head may take to arrive (slowloris guard).
    let headerTimeout: UInt64
    /// Nanoseconds an idle keep-alive connection (or a stalled body) is kept.
    let idleTimeout: UInt64
    /// Pipelined requests waiting for answers before the connection stops reading.
    let maxPipelined: Int
    /// Bytes waiting to be sent before the connection stops reading.
    let maxQueuedOutput: Int

    init(
        limits: HTTPLimits,
        headerTimeout: UInt64,
        idleTimeout: UInt64,
        maxPipelined: Int = 64,
        maxQueuedOutput: Int = 1 << 20
    ) {
        self.limits = limits
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.maxPipelined = maxPipelined
        self.maxQueuedOutput = maxQueuedOutput
    }
}

/// HTTP/1.1 on one TCP connection: parses requests, keeps responses in pipeline order, applies the timeouts,
/// and closes the connection when HTTP says so. Loop thread only.
final class HTTPServerConnection: TCPConnectionHandler {
    private let transport: ByteStream
    /// `unowned(unsafe)`: the handler (the loop's context) owns this connection and outlives it.
    private unowned(unsafe) let handler: HTTPRequestHandler
    private let state: HTTPLoopState

    private struct InProgress {
        var route: HTTPRoute
        var summary: RequestSummary
        var body: [UInt8]
        /// The route collects the body (`.collectBody`); a flag so that body bytes do not copy the route.
        var collectsBody: Bool
    }

    private struct Slot {
        let sequence: UInt64
        let summary: RequestSummary
        var pending: PendingResponse?
        var response: HTTPResponse?
        /// Raw bytes to send as they are (an interim `100 Continue`).
        var interim: Bool = false
        /// A streamed answer in progress.
        var stream: StreamState?
    }

    /// A streamed answer: its chunks wait here until the slot reaches the front of the pipeline.
    private struct StreamState {
        var contentType: HTTPResponse.ContentType
        var timeoutTrailer: [UInt8]
        var headWritten = false
        var chunks: [[UInt8]] = []
        var end: [UInt8]?
        var failure: [UInt8]?
        /// Bytes written to the transport since the last drain, credited back to the worker at the next drain.
        var writtenSinceDrain = 0
    }

    // The connection's mutable state: loop thread only, and no access to one of these properties overlaps another
    // access to the same property (no call that can re-enter the connection is made inside an `inout` access). Debug
    // builds, which the tests run, keep Swift's dynamic exclusivity checks; release builds turn them off for these
    // properties, where they cost about 12% of a request's instructions (callgrind; docs/PERFORMANCE.md).
    #if DEBUG
    private var parser: HTTPRequestParser
    private var carry = ByteBuffer()
    private var current: InProgress?
    /// Answers not yet written, in request order. `slots[slotHead...]` are live.
    private var slots: [Slot] = []
    private var slotHead = 0
    private var nextSequence: UInt64 = 0
    private var closing = false
    /// The last request this connection will answer has been read (it asked to close, or a final answer replaced
    /// `100 Continue` before its body arrived): whatever the client sends next is discarded, never processed, and the
    /// connection closes after the pending answers.
    private var discardingInput = false
    private var peerClosed = false
    private var paused = false
    private var headerStartedAt: UInt64 = 0
    private var lastActivity: UInt64
    private var armedDeadline: UInt64 = .max
    private var afterWrite: [@Sendable () -> Void] = []
    private(set) var isClosed = false
    #else
    @exclusivity(unchecked) private var parser: HTTPRequestParser
    @exclusivity(unchecked) private var carry = ByteBuffer()
    @exclusivity(unchecked) private var current: InProgress?
    @exclusivity(unchecked) private var slots: [Slot] = []
    @exclusivity(unchecked) private var slotHead = 0
    @exclusivity(unchecked) private var nextSequence: UInt64 = 0
    @exclusivity(unchecked) private var closing = false
    @exclusivity(unchecked) private var discardingInput = false
    @exclusivity(unchecked) private var peerClosed = false
    @exclusivity(unchecked) private var paused = false
    @exclusivity(unchecked) private var headerStartedAt: UInt64 = 0
    @exclusivity(unchecked) private var lastActivity: UInt64
    @exclusivity(unchecked) private var armedDeadline: UInt64 = .max
    @exclusivity(unchecked) private var afterWrite: [@Sendable () -> Void] = []
    @exclusivity(unchecked) private(set) var isClosed = false
    #endif

    init(transport: ByteStream, handler: HTTPRequestHandler) {
        self.transport = transport
        self.handler = handler
        self.state = handler.loopState
        self.parser = HTTPRequestParser(limits: handler.loopState.limits)
        self.lastActivity = Monotonic.nanoseconds()
        self.headerStartedAt = lastActivity
    }

    /// The TLS server name (SNI) the client asked for, on TLS connections.
    var serverName: String? { transport.serverName }

    /// Starts reading and arms the first-request timeout.
    func start() {
        transport.handler = self
        transport.startReading()
        rearmTimer()
    }

    private var liveSlotCount: Int { slots.count - slotHead }

    /// True when nothing is pending: no partial request, no unanswered request.
    var isIdle: Bool { current == nil && carry.isEmpty && liveSlotCount == 0 }

    /// Called by the server when it starts draining: idle connections close now, busy ones after their answers.
    func beginDrain() {
        guard !isClosed else { return }
        if isIdle && transport.queuedByteCount == 0 {
            closing = true
            transport.closeNow()
        }
    }

    // MARK: Reading

    func connectionDidRead(_ bytes: UnsafeRawBufferPointer) {
        guard !closing, !discardingInput else { return }
        let now = Monotonic.nanoseconds()
        lastActivity = now
        if current == nil && carry.isEmpty {
            headerStartedAt = now  // the first byte of a new request head
        }
        if carry.isEmpty {
            let consumed = process(bytes)
            if consumed < bytes.count && !closing {
                carry.append(UnsafeRawBufferPointer(rebasing: bytes[consumed...]))
            }
        } else {
            carry.append(bytes)
            let consumed = process(carry.bytes)
            if closing { carry.removeAll() } else { carry.consume(consumed) }
        }
        carry.shrinkIfEmpty(keepingCapacity: 4096)
        transport.flush()
        rearmTimer()
    }

    /// Parses and handles as many requests as `buffer` holds; returns the bytes consumed.
    private func process(_ buffer: UnsafeRawBufferPointer) -> Int {
        var offset = 0
        while !closing && !paused && !discardingInput {
            let slice = UnsafeRawBufferPointer(rebasing: buffer[offset...])
            switch parser.parse(slice) {
            case .needMore(let consumed):
                return offset + consumed
            case .head(let head, let consumed):
                handleHead(head, in: slice)
                offset += consumed
            case .body(let range, let consumed):
                if current?.collectsBody == true {
                    current!.body.append(contentsOf: UnsafeRawBufferPointer(rebasing: slice[range]))
                }
                offset += consumed
            case .end(let consumed):
                offset += consumed
                finishRequest()
                if liveSlotCount >= state.maxPipelined || transport.queuedByteCount >= state.maxQueuedOutput {
                    paused = true
                    transport.stopReading()
                }
            case .error(let error):
                current = nil
                enqueue(
                    .error(HTTPStatus(error.status), error.detail, close: true),
                    summary: RequestSummary(method: .get, minorVersion: 1, keepAlive: false)
                )
                return buffer.count
            }
        }
        return closing || discardingInput ? buffer.count : offset
    }

    private func handleHead(_ head: HTTPRequestHead, in buffer: UnsafeRawBufferPointer) {
        var summary = RequestSummary(method: head.method, minorVersion: head.minorVersion, keepAlive: head.keepAlive)
        var (route, tag) = handler.route(head, in: buffer)
        summary.tag = tag
        let hasBody = (head.contentLength ?? 0) > 0 || head.isChunked
        switch head.expectation {
        case .none:
            break
        case .unsupported:
            route = .respond(.error(HTTPStatus(417), "Unsupported Expect header", close: true))
        case .continue:
            if hasBody, case .collectBody = route {
                enqueueInterimContinue(summary: summary)
            }
        }
        if hasBody, head.expectation != .none, case .respond(var response) = route {
            // A final answer instead of 100 Continue: send it now, without waiting for a body the client may hold
            // back until it hears from us; it may or may not send the body, so discard the rest and close after it.
            response.closeConnection = true
            current = nil
            discardingInput = true
            enqueue(response, summary: summary)
            return
        }
        var body: [UInt8] = []
        var collectsBody = false
        if case .collectBody = route {
            collectsBody = true
            if let length = head.contentLength, length > 0 { body.reserveCapacity(length) }
        }
        current = InProgress(route: route, summary: summary, body: body, collectsBody: collectsBody)
    }

    private func finishRequest() {
        guard let request = current.take() else { return }
        headerStartedAt = Monotonic.nanoseconds()
        if !request.summary.keepAlive {
            discardingInput = true  // requests pipelined after this one are not processed
        }
        switch request.route {
        case .respond(let response):
            enqueue(response, summary: request.summary)
        case .collectBody(let target, let headers):
            let sequence = nextSequence
            nextSequence += 1
            let responder = HTTPResponder(connection: self, sequence: sequence)
            switch handler.dispatch(
                target: target,
                head: request.summary,
                headers: headers,
                body: request.body,
                responder: responder
            ) {
            case .respond(let response):
                append(Slot(sequence: sequence, summary: request.summary, pending: nil, response: response))
            case .pending(let work):
                append(Slot(sequence: sequence, summary: request.summary, pending: work, response: nil))
            }
            writeReadySlots()
        }
    }

    /// The client finished sending (EOF). Like nginx, LitUV takes this as the client leaving: predictions still
    /// queued are dropped before `predict` (LitServe #48), running ones are discarded when they finish, and the
    /// connection closes once what is already written has gone out. (A half-close cannot be told apart from a full
    /// close at this point, and a gone client's work is the common, expensive case.)
    func connectionDidReachEOF() {
        peerClosed = true
        if current != nil || !carry.isEmpty {
            closeNow()  // an incomplete request can never finish
            return
        }
        cancelPending()
        closing = true
        transport.closeAfterFlush()
    }

    // MARK: Answers

    /// Queues an immediate answer behind any pending ones.
    private func enqueue(_ response: HTTPResponse, summary: RequestSummary) {
        let sequence = nextSequence
        nextSequence += 1
        append(Slot(sequence: sequence, summary: summary, pending: nil, response: response))
        writeReadySlots()
    }

    private func enqueueInterimContinue(summary: RequestSummary) {
        let sequence = nextSequence
        nextSequence += 1
        var slot = Slot(sequence: sequence, summary: summary, pending: nil, response: nil)
        slot.interim = true
        append(slot)
        writeReadySlots()
        transport.flush()
    }

    private func append(_ slot: Slot) {
        if slotHead > 0 && slotHead == slots.count {
            slots.removeAll(keepingCapacity: true)
            slotHead = 0
        }
        slots.append(slot)
    }

    /// Delivers a deferred answer (loop thread). Late answers — after a timeout or a disconnect — are dropped.
    func complete(sequence: UInt64, with response: HTTPResponse) {
        guard !isClosed, liveSlotCount > 0 else { return }
        let first = slots[slotHead].sequence
        guard sequence >= first else { return }
        let index = slotHead + Int(sequence - first)
        guard index < slots.count, slots[index].response == nil, slots[index].pending != nil else { return }
        slots[index].pending = nil
        slots[index].response = response
        if index == slotHead {
            lastActivity = Monotonic.nanoseconds()  // the keep-alive idle time starts when the answer goes out
            writeReadySlots()
            transport.flush()
            rearmTimer()
        }
    }

    /// Delivers an event of a streamed answer (loop thread). Events for a request that timed out or whose client
    /// left are dropped.
    func streamEvent(sequence: UInt64, _ event: HTTPStreamEvent) {
        guard !isClosed, liveSlotCount > 0 else { return }
        let first = slots[slotHead].sequence
        guard sequence >= first else { return }
        let index = slotHead + Int(sequence - first)
        guard index < slots.count, slots[index].response == nil, slots[index].pending != nil else { return }
        switch event {
        case .head(let contentType, let trailer):
            guard slots[index].stream == nil else { return }
            slots[index].stream = StreamState(contentType: contentType, timeoutTrailer: trailer)
        case .chunk(let bytes):
            slots[index].stream?.chunks.append(bytes)
        case .end(let bytes):
            slots[index].stream?.end = bytes
        case .fail(let response, let trailer):
            if slots[index].stream == nil {
                slots[index].pending = nil
                slots[index].response = response
            } else {
                slots[index].stream?.failure = trailer
            }
        }
        if index == slotHead {
            writeReadySlots()
            transport.flush()
            rearmTimer()
        }
    }

    /// Writes the streamed answer at the front of the pipeline as far as it has arrived.
    /// - Returns: true when the answer is complete (the slot is done).
    private func writeStream(_ stream: inout StreamState, summary: RequestSummary) -> Bool {
        let chunked = summary.minorVersion >= 1
        let omitBody = summary.method == .head
        transport.withOutputBuffer { buffer in
            if !stream.headWritten {
                stream.headWritten = true
                HTTPResponseEncoder.encodeStreamHead(
                    contentType: stream.contentType,
                    chunked: chunked,
                    date: &state.date,
                    into: &buffer
                )
            }
            for chunk in stream.chunks where !omitBody {
                HTTPResponseEncoder.appendChunk(chunk, chunked: chunked, into: &buffer)
                stream.writtenSinceDrain += chunk.count
            }
            stream.chunks.removeAll(keepingCapacity: true)
            if let failure = stream.failure, !omitBody {
                HTTPResponseEncoder.appendChunk(failure, chunked: chunked, into: &buffer)
            } else if let end = stream.end, !omitBody {
                HTTPResponseEncoder.appendChunk(end, chunked: chunked, into: &buffer)
                if chunked { buffer.append("0\r\n\r\n") }
            }
        }
        return stream.failure != nil || stream.end != nil
    }

    /// Writes answers from the front of the pipeline while they are ready.
    private func writeReadySlots() {
        while slotHead < slots.count && !closing {
            let slot = slots[slotHead]
            if slot.interim {
                transport.withOutputBuffer { $0.append("HTTP/1.1 100 Continue\r\n\r\n") }
                slotHead += 1
                continue
            }
            if var stream = slot.stream {
                let done = writeStream(&stream, summary: slot.summary)
                slots[slotHead].stream = stream
                guard done else { break }
                slotHead += 1
                slot.pending?.streamBytesDelivered(stream.writtenSinceDrain)
                handler.didRespond(tag: slot.summary.tag, status: 200)
                let last = slotHead == slots.count && current == nil
                let keepAlive =
                    stream.failure == nil && slot.summary.keepAlive && slot.summary.minorVersion >= 1
                    && !(handler.isDraining && last) && !(peerClosed && last)
                if !keepAlive {
                    closing = true
                    cancelPending()
                    transport.closeAfterFlush()
                }
                continue
            }
            guard let response = slot.response else { break }
            slotHead += 1
            let last = slotHead == slots.count && current == nil
            let keepAlive =
                slot.summary.keepAlive && !response.closeConnection
                && !(handler.isDraining && last) && !(peerClosed && last)
            transport.withOutputBuffer { buffer in
                HTTPResponseEncoder.encode(
                    response,
                    omitBody: slot.summary.method == .head,
                    keepAlive: keepAlive,
                    minorVersion: slot.summary.minorVersion,
                    date: &state.date,
                    into: &buffer
                )
            }
            handler.didRespond(tag: slot.summary.tag, status: response.status.code)
            if let action = response.afterWrite { afterWrite.append(action) }
            if !keepAlive {
                closing = true
                cancelPending()
                transport.closeAfterFlush()
            }
        }
        if slotHead == slots.count {
            slots.removeAll(keepingCapacity: true)
            slotHead = 0
        }
        resumeReadingIfPossible()
    }

    /// Reading pauses while too many answers are pending or too many bytes wait to be sent (a client that pipelines
    /// without reading cannot make the server buffer without bound); it resumes once both fall back.
    private func resumeReadingIfPossible() {
        guard paused, !closing, liveSlotCount < state.maxPipelined / 2,
            transport.queuedByteCount < state.maxQueuedOutput / 2
        else { return }
        paused = false
        transport.startReading()
        if !carry.isEmpty {
            let consumed = process(carry.bytes)
            if closing { carry.removeAll() } else { carry.consume(consumed) }
        }
    }

    func connectionDidDrain() {
        if slotHead < slots.count, let written = slots[slotHead].stream?.writtenSinceDrain, written > 0 {
            slots[slotHead].stream?.writtenSinceDrain = 0
            slots[slotHead].pending?.streamBytesDelivered(written)
        }
        if !afterWrite.isEmpty {
            let actions = afterWrite
            afterWrite.removeAll()
            for action in actions { action() }
        }
        if paused {
            resumeReadingIfPossible()
            if transport.queuedByteCount > 0 { transport.flush() }
        }
        if !closing && isIdle && (peerClosed || handler.isDraining) {
            closing = true
            transport.closeAfterFlush()
        }
    }

    // MARK: Timers

    private func rearmTimer() {
        guard !closing, !isClosed else { return }
        var deadline = UInt64.max
        if current != nil {
            deadline = lastActivity &+ state.idleTimeout  // a stalled body
        } else if !carry.isEmpty || liveSlotCount == 0 {
            // Waiting for (the rest of) a request head: the header timeout while bytes are partial, else idle.
            deadline =
                carry.isEmpty && nextSequence > 0
                ? lastActivity &+ state.idleTimeout
                : headerStartedAt &+ state.headerTimeout
        }
        for index in slotHead..<slots.count {
            if let pending = slots[index].pending { deadline = min(deadline, pending.deadline) }
        }
        // A later deadline keeps the armed timer: if it fires early, `connectionTimerDidFire` checks the real
        // deadlines and re-arms. Keep-alive traffic pushes the deadline later on every request, so this saves a
        // uv_timer_stop/uv_timer_start pair (two heap updates) per request.
        guard deadline < armedDeadline else { return }
        armedDeadline = deadline
        let now = Monotonic.nanoseconds()
        let milliseconds = deadline > now ? (deadline - now + 999_999) / 1_000_000 : 0
        transport.setTimer(milliseconds: milliseconds)
    }

    func connectionTimerDidFire() {
        armedDeadline = .max
        let now = Monotonic.nanoseconds()
        var answered = false
        for index in slotHead..<slots.count {
            if let pending = slots[index].pending, pending.deadline <= now, slots[index].stream?.end == nil {
                expire(index, with: .error(.gatewayTimeout, "Request timed out"))
                answered = true
            }
        }
        if answered {
            lastActivity = now
            writeReadySlots()
            transport.flush()
        }
        if current != nil {
            if now >= lastActivity &+ state.idleTimeout {
                closeNow()
                return
            }
        } else if !carry.isEmpty || liveSlotCount == 0 {
            let limit =
                carry.isEmpty && nextSequence > 0
                ? lastActivity &+ state.idleTimeout
                : headerStartedAt &+ state.headerTimeout
            if now >= limit && liveSlotCount == 0 {
                closeNow()
                return
            }
        }
        rearmTimer()
    }

    /// Ends a pending answer early: a waiting request gets `response`; a stream that already started gets its
    /// error trailer and the connection closes after it.
    private func expire(_ index: Int, with response: HTTPResponse) {
        slots[index].pending?.cancel()
        slots[index].pending = nil
        if var stream = slots[index].stream {
            if stream.end == nil && stream.failure == nil {
                stream.failure = stream.timeoutTrailer
                slots[index].stream = stream
            }
        } else {
            slots[index].response = response
        }
    }

    /// Answers every request still waiting for a prediction with `response` (the drain timeout passed).
    func failPending(with response: HTTPResponse) {
        guard !isClosed else { return }
        var answered = false
        for index in slotHead..<slots.count where slots[index].pending != nil {
            expire(index, with: response)
            answered = true
        }
        if answered {
            writeReadySlots()
            transport.flush()
        }
    }

    // MARK: Closing

    private func cancelPending() {
        for index in slotHead..<slots.count {
            slots[index].pending?.cancel()
            slots[index].pending = nil
        }
    }

    /// Closes at once (pending answers are cancelled).
    func closeNow() {
        closing = true
        transport.closeNow()
    }

    func connectionDidClose() {
        isClosed = true
        closing = true
        cancelPending()
        slots.removeAll()
        slotHead = 0
        afterWrite.removeAll()
        handler.connectionDidClose(self)
    }
}
