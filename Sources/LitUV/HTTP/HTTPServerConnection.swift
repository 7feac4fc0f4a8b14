/// HTTP/1.1 on one TCP connection: parses requests, keeps responses in pipeline order, applies the timeouts,
/// and closes the connection when HTTP says so. Loop thread only.
final class HTTPServerConnection: TCPConnectionHandler {
    let transport: ByteStream
    /// `unowned(unsafe)`: the handler (the loop's context) owns this connection and outlives it.
    unowned(unsafe) let handler: HTTPRequestHandler
    let state: HTTPLoopState

    struct InProgress {
        var route: HTTPRoute
        var summary: RequestSummary
        var body: [UInt8]
        /// The route collects the body (`.collectBody`); a flag so that body bytes do not copy the route.
        var collectsBody: Bool
        /// The route's sink, fed each body slice instead of `body` (``RequestCapture/bodySink``).
        var sink: (any HTTPBodySink)?
        /// The sink refused the request part-way through its body and the answer is queued: the rest of the body is
        /// read and dropped.
        var answered = false
        var decoration: ResponseDecoration?
    }

    typealias Slot = HTTPResponseSlot
    typealias StreamState = HTTPResponseSlot.Stream

    // `live`, `transport`, `handler` and `state` are internal (not private) only so that the connection's own files
    // (+Drain, +Timers) reach them; nothing outside HTTPServerConnection*.swift touches them.

    /// The connection's mutable state, in one place so that it is declared once. Loop thread only, and no access to
    /// it overlaps another (no call that can re-enter the connection is made inside an `inout` access).
    struct LiveState: ~Copyable {
        var parser: HTTPRequestParser
        var carry = ByteBuffer()
        var current: InProgress?
        /// Answers not yet written, in request order. `slots[slotHead...]` are live.
        var slots: [Slot] = []
        var slotHead = 0
        var nextSequence: UInt64 = 0
        var closing = false
        /// The last request this connection will answer has been read (it asked to close, or a final answer replaced
        /// `100 Continue` before its body arrived): whatever the client sends next is discarded, never processed, and
        /// the connection closes after the pending answers.
        var discardingInput = false
        var peerClosed = false
        /// The server stopped reading this connection (too many answers pending or too many bytes unsent).
        var paused = false
        /// While paused with every answer written: the unsent bytes at the last check of the client's progress.
        var queuedAtLastCheck = Int.max
        var headerStartedAt: UInt64
        var lastActivity: UInt64
        var armedDeadline: UInt64 = .max
        var afterWrite: [@Sendable () -> Void] = []
        var isClosed = false
        /// Bytes read from the transport since the connection opened: the stream offset of the next byte to come.
        var bytesRead: UInt64 = 0
        /// The stream offset at which the server's drain began for this connection (what it had read, plus what the
        /// kernel held for it): a request whose first byte lies before it is served as usual, one that starts at or
        /// after it is answered 503. `.max` while the server is not draining.
        var drainMark: UInt64 = .max
        /// A connection that had received nothing when the drain began (just accepted, or taken from a listener's
        /// backlog): its first read sets the drain mark, so the request its client is about to send is served.
        var drainMarkAtFirstRead = false
        /// Until when such a connection may take to send its first byte (monotonic nanoseconds) before it is closed.
        var firstByteDeadline: UInt64 = .max
        /// The drain waits for this connection to finish reading the requests that started before the drain
        /// (``HTTPRequestHandler/connectionFinishedReadingBeforeDrain()`` releases it).
        var owesDrainRelease = false
        /// The minimum body data rate clock of the request being read (``BodyDataRate``).
        var bodyRate = BodyRateClock()
    }

    // Debug builds, which the tests run, keep Swift's dynamic exclusivity checks on `live`; release builds turn them
    // off for it, where they cost about 12% of a request's instructions (callgrind; docs/PERFORMANCE.md). The two
    // declarations differ only by that attribute.
    #if DEBUG
    var live: LiveState
    #else
    @exclusivity(unchecked) var live: LiveState
    #endif

    /// The connection was closed (or is closing): nothing more is read or written.
    var isClosed: Bool { live.isClosed }

    init(transport: ByteStream, handler: HTTPRequestHandler) {
        self.transport = transport
        self.handler = handler
        self.state = handler.loopState
        let now = Monotonic.nanoseconds()
        live = LiveState(
            parser: HTTPRequestParser(limits: handler.loopState.limits),
            headerStartedAt: now,
            lastActivity: now
        )
    }

    /// The TLS server name (SNI) the client asked for, on TLS connections.
    var serverName: String? { transport.serverName }

    private var cachedPeerAddress: String??

    /// The client's address, `host:port` (asked of the system once per connection, when first needed).
    var peerAddress: String? {
        if let cached = cachedPeerAddress { return cached }
        let address = transport.peerAddress
        cachedPeerAddress = .some(address)
        return address
    }

    /// Starts reading and arms the first-request timeout.
    func start() {
        transport.handler = self
        transport.startReading()
        rearmTimer()
    }

    var liveSlotCount: Int { live.slots.count - live.slotHead }

    /// True when nothing is pending: no partial request, no unanswered request.
    var isIdle: Bool { live.current == nil && live.carry.isEmpty && liveSlotCount == 0 }

    // MARK: Reading

    func connectionDidRead(_ bytes: UnsafeRawBufferPointer) {
        guard !live.closing, !live.discardingInput else { return }
        let now = Monotonic.nanoseconds()
        live.lastActivity = now
        live.bytesRead &+= UInt64(bytes.count)
        if live.drainMarkAtFirstRead {
            live.drainMarkAtFirstRead = false
            live.drainMark = live.bytesRead &+ UInt64(transport.unreadByteCount)
        }
        if live.current == nil && live.carry.isEmpty {
            live.headerStartedAt = now  // the first byte of a new request head
        }
        if live.carry.isEmpty {
            let consumed = process(bytes)
            if consumed < bytes.count && !live.closing {
                live.carry.append(UnsafeRawBufferPointer(rebasing: bytes[consumed...]))
            }
        } else {
            live.carry.append(bytes)
            let consumed = process(live.carry.bytes)
            if live.closing { live.carry.removeAll() } else { live.carry.consume(consumed) }
        }
        live.carry.shrinkIfEmpty(keepingCapacity: 4096)
        if live.owesDrainRelease { releaseDrainIfRead() }
        transport.flush()
        rearmTimer()
    }

    /// Parses and handles as many requests as `buffer` holds; returns the bytes consumed.
    private func process(_ buffer: UnsafeRawBufferPointer) -> Int {
        // `buffer` holds every byte read and not consumed yet, so it starts at this stream offset.
        let base = live.bytesRead &- UInt64(buffer.count)
        var offset = 0
        while !live.closing && !live.paused && !live.discardingInput {
            let slice = UnsafeRawBufferPointer(rebasing: buffer[offset...])
            switch live.parser.parse(slice) {
            case .needMore(let consumed):
                return offset + consumed
            case .head(let head, let consumed):
                handleHead(head, in: slice, startedAfterDrain: base &+ UInt64(offset) >= live.drainMark)
                offset += consumed
                startBodyClock(head, bodyOffset: base &+ UInt64(offset))
            case .body(let range, let consumed):
                if live.current?.collectsBody == true {
                    live.current!.body.append(contentsOf: UnsafeRawBufferPointer(rebasing: slice[range]))
                } else if let sink = live.current?.sink,
                    let refusal = sink.consume(UnsafeRawBufferPointer(rebasing: slice[range]))
                {
                    refuseDuringBody(refusal)
                }
                offset += consumed
            case .end(let consumed):
                offset += consumed
                finishRequest()
                if liveSlotCount >= state.maxPipelined || transport.queuedByteCount >= state.maxQueuedOutput {
                    live.paused = true
                    live.queuedAtLastCheck = .max
                    live.lastActivity = Monotonic.nanoseconds()
                    transport.stopReading()
                }
            case .error(let error):
                live.current = nil
                enqueue(
                    .error(HTTPStatus(error.status), error.detail, close: true),
                    summary: RequestSummary(method: .get, minorVersion: 1, keepAlive: false),
                    decoration: nil
                )
                return buffer.count
            }
        }
        return live.closing || live.discardingInput ? buffer.count : offset
    }

    private func handleHead(_ head: HTTPRequestHead, in buffer: UnsafeRawBufferPointer, startedAfterDrain: Bool) {
        var summary = RequestSummary(method: head.method, minorVersion: head.minorVersion, keepAlive: head.keepAlive)
        let routing = handler.route(head, in: buffer, startedAfterDrain: startedAfterDrain, connection: self)
        summary.tag = routing.tag
        let decoration = routing.decoration
        let routed = routing.route
        let hasBody = (head.contentLength ?? 0) > 0 || head.isChunked
        // One switch that moves the route's payload out (matching it several times would copy it).
        var route: HTTPRoute
        var answerNow = false
        switch consume routed {
        case .collectBody(let target, let capture):
            switch head.expectation {
            case .none:
                route = .collectBody(target: target, capture: capture)
            case .continue:
                if hasBody { enqueueInterimContinue(summary: summary) }
                route = .collectBody(target: target, capture: capture)
            case .unsupported:
                route = .respond(.error(HTTPStatus(417), "Unsupported Expect header", close: true))
                answerNow = hasBody
            }
        case .respond(let response):
            route = .respond(response)
            if head.expectation == .unsupported {
                route = .respond(.error(HTTPStatus(417), "Unsupported Expect header", close: true))
            }
            answerNow = hasBody && head.expectation != .none
        case .refuse(let response):
            route = .respond(response)
            if head.expectation == .unsupported {
                route = .respond(.error(HTTPStatus(417), "Unsupported Expect header", close: true))
            }
            answerNow = hasBody
        }
        if answerNow, case .respond(var response) = route {
            // A final answer before the body: send it now, without waiting for (or reading) a body the client may
            // hold back until it hears from us, or that the server refused; it may or may not send the body, so
            // discard the rest and close after it.
            response.closeConnection = true
            live.current = nil
            live.discardingInput = true
            enqueue(response, summary: summary, decoration: decoration)
            return
        }
        var body: [UInt8] = []
        var collectsBody = false
        var sink: (any HTTPBodySink)?
        if case .collectBody(_, let capture) = route {
            if let bodySink = capture?.bodySink {
                sink = bodySink
            } else {
                collectsBody = true
                if let length = head.contentLength, length > 0 { body.reserveCapacity(length) }
            }
        }
        live.current = InProgress(
            route: route,
            summary: summary,
            body: body,
            collectsBody: collectsBody,
            sink: sink,
            decoration: decoration
        )
    }

    /// The route's body sink refused the request part-way through its body: the answer is queued at once (the
    /// client hears it while it is still sending) and the rest of the body is dropped as it arrives, so that the
    /// client's writes are not reset before it reads the answer and the connection stays usable.
    private func refuseDuringBody(_ response: HTTPResponse) {
        guard let summary = live.current?.summary else { return }
        let decoration = live.current?.decoration
        live.current?.sink = nil
        live.current?.answered = true
        enqueue(response, summary: summary, decoration: decoration)
    }

    private func finishRequest() {
        guard let request = live.current.take() else { return }
        live.headerStartedAt = Monotonic.nanoseconds()
        if !request.summary.keepAlive {
            live.discardingInput = true  // requests pipelined after this one are not processed
        }
        switch request.route {
        case .respond(let response), .refuse(let response):
            enqueue(response, summary: request.summary, decoration: request.decoration)
        case .collectBody(let target, let capture):
            if request.answered { return }
            if let refusal = request.sink?.finish() {
                enqueue(refusal, summary: request.summary, decoration: request.decoration)
                return
            }
            let sequence = live.nextSequence
            live.nextSequence += 1
            let responder = HTTPResponder(connection: self, sequence: sequence)
            var slot = Slot(sequence: sequence, summary: request.summary, pending: nil, response: nil)
            switch handler.dispatch(
                target: target,
                head: request.summary,
                capture: capture,
                decoration: request.decoration,
                body: request.body,
                responder: responder
            ) {
            case .respond(let response): slot.response = response
            case .pending(let work): slot.pending = work
            }
            slot.decoration = request.decoration
            append(slot)
            writeReadySlots()
        }
    }

    /// The client finished sending (EOF). Like nginx, LitUV takes this as the client leaving: predictions still
    /// queued are dropped before `predict` (LitServe #48), running ones are discarded when they finish, and the
    /// connection closes once what is already written has gone out. (A half-close cannot be told apart from a full
    /// close at this point, and a gone client's work is the common, expensive case.)
    func connectionDidReachEOF() {
        live.peerClosed = true
        if live.current != nil || !live.carry.isEmpty {
            closeNow()  // an incomplete request can never finish
            return
        }
        cancelPending()
        live.closing = true
        transport.closeAfterFlush()
    }

    // MARK: Answers

    /// Queues an immediate answer behind any pending ones.
    func enqueue(_ response: HTTPResponse, summary: RequestSummary, decoration: ResponseDecoration?) {
        let sequence = live.nextSequence
        live.nextSequence += 1
        var slot = Slot(sequence: sequence, summary: summary, pending: nil, response: response)
        slot.decoration = decoration
        append(slot)
        writeReadySlots()
    }

    private func enqueueInterimContinue(summary: RequestSummary) {
        let sequence = live.nextSequence
        live.nextSequence += 1
        var slot = Slot(sequence: sequence, summary: summary, pending: nil, response: nil)
        slot.interim = true
        append(slot)
        writeReadySlots()
        transport.flush()
    }

    private func append(_ slot: Slot) {
        if live.slotHead > 0 && live.slotHead == live.slots.count {
            live.slots.removeAll(keepingCapacity: true)
            live.slotHead = 0
        }
        live.slots.append(slot)
    }

    /// Delivers a deferred answer (loop thread). Late answers — after a timeout or a disconnect — are dropped.
    func complete(sequence: UInt64, with response: HTTPResponse) {
        guard !live.isClosed, liveSlotCount > 0 else { return }
        let first = live.slots[live.slotHead].sequence
        guard sequence >= first else { return }
        let index = live.slotHead + Int(sequence - first)
        guard index < live.slots.count, live.slots[index].response == nil, live.slots[index].pending != nil else {
            return
        }
        live.slots[index].pending = nil
        live.slots[index].response = response
        if index == live.slotHead {
            live.lastActivity = Monotonic.nanoseconds()  // the keep-alive idle time starts when the answer goes out
            writeReadySlots()
            transport.flush()
            rearmTimer()
        }
    }

    /// Delivers an event of a streamed answer (loop thread). Events for a request that timed out or whose client
    /// left are dropped.
    func streamEvent(sequence: UInt64, _ event: HTTPStreamEvent) {
        guard !live.isClosed, liveSlotCount > 0 else { return }
        let first = live.slots[live.slotHead].sequence
        guard sequence >= first else { return }
        let index = live.slotHead + Int(sequence - first)
        guard index < live.slots.count, live.slots[index].response == nil, live.slots[index].pending != nil else {
            return
        }
        switch event {
        case .head(let contentType, let mediaType, let trailer):
            guard live.slots[index].stream == nil else { return }
            live.slots[index].stream = StreamState(
                contentType: contentType,
                mediaType: mediaType,
                timeoutTrailer: trailer
            )
        case .chunk(let bytes):
            live.slots[index].stream?.chunks.append(bytes)
        case .end(let bytes):
            live.slots[index].stream?.end = bytes
        case .fail(let response, let trailer):
            if live.slots[index].stream == nil {
                live.slots[index].pending = nil
                live.slots[index].response = response
            } else {
                live.slots[index].stream?.failure = trailer
            }
        }
        if index == live.slotHead {
            writeReadySlots()
            transport.flush()
            rearmTimer()
        }
    }

    /// Writes the streamed answer at the front of the pipeline as far as it has arrived.
    /// - Returns: true when the answer is complete (the slot is done).
    private func writeStream(
        _ stream: inout StreamState,
        summary: RequestSummary,
        decoration: ResponseDecoration?
    ) -> Bool {
        let chunked = summary.minorVersion >= 1
        let omitBody = summary.method == .head
        transport.withOutputBuffer { buffer in
            if !stream.headWritten {
                stream.headWritten = true
                HTTPResponseEncoder.encodeStreamHead(
                    contentType: stream.contentType,
                    mediaType: stream.mediaType,
                    chunked: chunked,
                    decoration: decoration,
                    date: &state.date,
                    into: &buffer
                )
            }
            for chunk in stream.chunks where !omitBody {
                HTTPResponseEncoder.appendChunk(chunk, chunked: chunked, into: &buffer)
                stream.writtenSinceDrain += chunk.count
                stream.bodyBytes += chunk.count
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
    func writeReadySlots() {
        while live.slotHead < live.slots.count && !live.closing {
            // Fields are read in place and the answer is moved out: copying the whole slot would retain everything
            // it holds (a measurable share of a request).
            if live.slots[live.slotHead].interim {
                transport.withOutputBuffer { $0.append("HTTP/1.1 100 Continue\r\n\r\n") }
                live.bodyRate.continueSent(now: Monotonic.nanoseconds())
                live.slotHead += 1
                continue
            }
            if live.slots[live.slotHead].stream != nil {
                guard writeStreamSlot() else { break }
                continue
            }
            guard var response = live.slots[live.slotHead].response.take() else { break }
            let summary = live.slots[live.slotHead].summary
            let decoration = live.slots[live.slotHead].decoration
            live.slotHead += 1
            if let decoration { decorate(&response, with: decoration) }
            let last = live.slotHead == live.slots.count && live.current == nil
            let keepAlive =
                summary.keepAlive && !response.closeConnection
                && !(handler.closesConnections && last) && !(live.peerClosed && last)
            transport.withOutputBuffer { buffer in
                HTTPResponseEncoder.encode(
                    response,
                    decoration: decoration,
                    omitBody: summary.method == .head,
                    keepAlive: keepAlive,
                    minorVersion: summary.minorVersion,
                    date: &state.date,
                    into: &buffer
                )
            }
            handler.didRespond(tag: summary.tag, status: response.status.code)
            decoration?.observer?.responseWritten(status: response.status.code, bodyBytes: response.body.count)
            if let action = response.afterWrite { live.afterWrite.append(action) }
            if !keepAlive {
                live.closing = true
                cancelPending()
                transport.closeAfterFlush()
            }
        }
        if live.slotHead == live.slots.count {
            live.slots.removeAll(keepingCapacity: true)
            live.slotHead = 0
        }
        resumeReadingIfPossible()
    }

    /// Writes the streamed answer at the front of the pipeline as far as it has arrived.
    /// - Returns: False while the stream is not complete (the pipeline waits behind it).
    private func writeStreamSlot() -> Bool {
        let slot = live.slots[live.slotHead]
        guard var stream = slot.stream else { return true }
        let done = writeStream(&stream, summary: slot.summary, decoration: slot.decoration)
        live.slots[live.slotHead].stream = stream
        guard done else { return false }
        live.slotHead += 1
        slot.pending?.streamBytesDelivered(stream.writtenSinceDrain)
        handler.didRespond(tag: slot.summary.tag, status: 200)
        slot.decoration?.observer?.responseWritten(status: 200, bodyBytes: stream.bodyBytes)
        let last = live.slotHead == live.slots.count && live.current == nil
        let keepAlive =
            stream.failure == nil && slot.summary.keepAlive && slot.summary.minorVersion >= 1
            && !(handler.closesConnections && last) && !(live.peerClosed && last)
        if !keepAlive {
            live.closing = true
            cancelPending()
            transport.closeAfterFlush()
        }
        return true
    }

    /// Applies the pipeline's changes to an answer's body: the request id in a `{"detail": ...}` error body (or a
    /// spec's ``ErrorBodyShape`` for it), and gzip when the client accepts it and the body is eligible
    /// (``ResponseCompression``).
    private func decorate(_ response: inout HTTPResponse, with decoration: ResponseDecoration) {
        if let detail = response.errorDetail {
            if let shape = decoration.errorShape {
                response.body = shape.body(response.status.code, detail, decoration.requestID?.string)
            } else if let id = decoration.requestID {
                response.body = HTTPResponse.detailJSON(detail, requestID: id.string)
            }
        }
        decoration.compressor?.compress(&response)
        if decoration.variesByEncoding, ResponseCompression.isCompressible(response.contentType) {
            response.headers.append(("Vary", "Accept-Encoding"))
        }
    }

    /// Reading pauses while too many answers are pending or too many bytes wait to be sent (a client that pipelines
    /// without reading cannot make the server buffer without bound); it resumes once both fall back.
    private func resumeReadingIfPossible() {
        guard live.paused, !live.closing else { return }
        guard liveSlotCount < state.maxPipelined / 2, transport.queuedByteCount < state.maxQueuedOutput / 2 else {
            if liveSlotCount == 0 { rearmTimer() }  // every answer is written: the client's reading is checked now
            return
        }
        live.paused = false
        // The requests received while the server did not read start their header clock now: the wait was the
        // server's, not the client's.
        let now = Monotonic.nanoseconds()
        live.headerStartedAt = now
        live.lastActivity = now
        transport.startReading()
        if !live.carry.isEmpty {
            let consumed = process(live.carry.bytes)
            if live.closing { live.carry.removeAll() } else { live.carry.consume(consumed) }
        }
        if live.owesDrainRelease { releaseDrainIfRead() }
        rearmTimer()
    }

    func connectionDidDrain() {
        if live.slotHead < live.slots.count, let written = live.slots[live.slotHead].stream?.writtenSinceDrain,
            written > 0
        {
            live.slots[live.slotHead].stream?.writtenSinceDrain = 0
            live.slots[live.slotHead].pending?.streamBytesDelivered(written)
        }
        if !live.afterWrite.isEmpty {
            let actions = live.afterWrite
            live.afterWrite.removeAll()
            for action in actions { action() }
        }
        if live.paused {
            resumeReadingIfPossible()
            if transport.queuedByteCount > 0 { transport.flush() }
        }
        if !live.closing && isIdle && !live.owesDrainRelease && (live.peerClosed || handler.isDraining) {
            live.closing = true
            transport.closeAfterFlush()
        }
    }

    // MARK: Closing

    func cancelPending() {
        for index in live.slotHead..<live.slots.count {
            live.slots[index].pending?.cancel()
            live.slots[index].pending = nil
        }
    }

    /// Closes at once (pending answers are cancelled).
    func closeNow() {
        live.closing = true
        transport.closeNow()
    }

    func connectionDidClose() {
        live.isClosed = true
        live.closing = true
        if live.owesDrainRelease {
            live.owesDrainRelease = false
            handler.connectionFinishedReadingBeforeDrain()
        }
        cancelPending()
        live.slots.removeAll()
        live.slotHead = 0
        live.afterWrite.removeAll()
        handler.connectionDidClose(self)
    }
}
