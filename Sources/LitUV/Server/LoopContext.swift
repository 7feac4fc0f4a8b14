/// Everything one I/O loop serves: its listener, its connections, its completion queue, and the routing of
/// requests to built-in answers or to an endpoint's queue. Loop thread only, except ``completions``.
final class LoopContext: HTTPRequestHandler {
    let loop: EventLoop
    let loopState: HTTPLoopState
    let completions: CompletionSink
    /// This loop's scratch for the request pipeline (request ids, the middleware view).
    private let pipelineState = PipelineLoopState()
    /// `unowned(unsafe)`: the runtime owns this context and outlives its loop thread (saves a strong retain/release
    /// per access on the request path).
    private unowned(unsafe) let runtime: ServerRuntime
    /// This loop's listeners, each with its TLS context (nil for plain HTTP).
    private var listeners: [(listener: TCPListener, tls: TLSContext?)] = []
    private var connections: [ObjectIdentifier: HTTPServerConnection] = [:]
    #if DEBUG
    /// Endpoints that got jobs during this loop iteration; their workers are woken before the loop polls again.
    private var endpointsToWake: [Int] = []
    #else
    @exclusivity(unchecked) private var endpointsToWake: [Int] = []  // loop thread only, never accessed twice at once
    #endif

    init(loop: EventLoop, runtime: ServerRuntime) {
        self.loop = loop
        self.runtime = runtime
        let configuration = runtime.configuration
        loopState = HTTPLoopState(
            limits: configuration.limits,
            headerTimeout: configuration.headerTimeout.nanoseconds,
            idleTimeout: configuration.keepAliveTimeout.nanoseconds,
            minimumBodyDataRate: configuration.minimumBodyDataRate,
            bodyRateExemptTargets: runtime.endpoints.map { !$0.settings.enforcesMinimumBodyDataRate }
        )
        completions = CompletionSink(loop: loop, inFlight: runtime.inFlight)
        loop.onWakeup = { [unowned(unsafe) self] in self.completions.drain() }
        loop.onBeforePoll = { [unowned(unsafe) self] in self.wakeWorkers() }
    }

    /// Binds one of this loop's listeners. Loop thread only.
    /// - Parameter tls: The TLS context for an HTTPS listener, nil for plain HTTP.
    /// - Returns: The bound port.
    func listen(on address: SocketAddress, tls: TLSContext?) throws(UVError) -> Int {
        let listener = try TCPListener(
            loop: loop,
            address: address,
            backlog: Int32(clamping: runtime.configuration.backlog)
        ) { [unowned self] transport in
            self.accept(transport, tls: tls)
        }
        listeners.append((listener, tls))
        return listener.port
    }

    /// A listener accepted a connection. Listeners are open until ``beginDrain()`` takes their backlogs and closes
    /// them, so every connection accepted here connected before the drain and is served.
    private func accept(_ tcp: TCPConnection, tls: TLSContext?) {
        startConnection(tcp, tls: tls)?.start()
    }

    /// Wraps an accepted TCP connection (in TLS when the listener serves HTTPS) and registers it; nil when TLS could
    /// not be set up for it (that connection is closed).
    private func startConnection(_ tcp: TCPConnection, tls: TLSContext?) -> HTTPServerConnection? {
        guard reserveConnection() else {
            tcp.closeNow()
            return nil
        }
        let transport: ByteStream
        if let tls {
            let statistics = runtime.statistics
            guard
                let connection = TLSConnection(
                    tcp: tcp,
                    context: tls,
                    onHandshakeFailure: {
                        statistics.tlsHandshakeFailures.add(1, ordering: .relaxed)
                    }
                )
            else {
                releaseReservedConnection()
                return nil
            }
            transport = connection
        } else {
            transport = tcp
        }
        let connection = HTTPServerConnection(transport: transport, handler: self)
        connections[ObjectIdentifier(connection)] = connection
        return connection
    }

    /// Counts a new connection as open, unless that would pass ``LitServer/Configuration/maxConnections``: then it
    /// is counted as refused and false is returned (the caller closes it at once). The count is the server's, over
    /// every loop: one atomic add, taken back when over the limit, so no two loops can both take the last place.
    ///
    /// A refused connection is accepted and closed at once rather than answered `503` when its request arrives: that
    /// costs no parser, buffer or timer, and a flood of connections cannot hold sockets open past the limit while
    /// waiting for a head that may never come (the resource the limit protects). Its client sees the connection
    /// closed before any answer (or reset, if it had sent bytes already) and can retry, possibly elsewhere.
    private func reserveConnection() -> Bool {
        let statistics = runtime.statistics
        let open = statistics.connections.add(1, ordering: .relaxed).newValue
        guard let limit = runtime.configuration.maxConnections, open > limit else { return true }
        releaseReservedConnection()
        statistics.refusedConnections.add(1, ordering: .relaxed)
        return false
    }

    /// Takes back a place counted by ``reserveConnection()`` for a connection that is not served.
    private func releaseReservedConnection() {
        let remaining = runtime.statistics.connections.subtract(1, ordering: .sequentiallyConsistent).newValue
        runtime.connectionClosed(remaining: remaining)
    }

    /// Shutdown step: the connections waiting in each listener's backlog are taken (their clients' first requests
    /// are served), then the listeners close, so no client that connected before is reset and the port is free at
    /// once. Idle connections close; the others finish reading what started before now and close after their
    /// answers. Counts, for the drain, the connections still reading such requests.
    func beginDrain() {
        var reading = 0
        // The connections already open first: those taken from the backlogs below are drained once, as such.
        for connection in Array(connections.values) where connection.beginDrain() {
            reading += 1
        }
        for (listener, tls) in listeners {
            listener.acceptBacklog { tcp in
                guard let connection = startConnection(tcp, tls: tls) else { return }
                connection.start()
                if connection.beginDrainAsBacklog() { reading += 1 }
            }
            listener.close()
        }
        listeners.removeAll()
        runtime.readsBeforeDrainBegan(reading)
    }

    /// Shutdown step after the drain timeout: whatever still waits for a prediction is answered 503.
    func failPending() {
        let response = HTTPResponse.error(.serviceUnavailable, "Server is shutting down", close: true)
        for connection in Array(connections.values) {
            connection.failPending(with: response)
        }
    }

    /// Final step: close what is left at once.
    func closeAll() {
        for (listener, _) in listeners { listener.close() }
        listeners.removeAll()
        for connection in Array(connections.values) {
            connection.closeNow()
        }
    }

    // MARK: HTTPRequestHandler

    var isDraining: Bool { runtime.isDraining }

    var closesConnections: Bool { runtime.isShuttingDown }

    func connectionFinishedReadingBeforeDrain() {
        runtime.readBeforeDrainFinished()
    }

    func connectionDidClose(_ connection: HTTPServerConnection) {
        if connections.removeValue(forKey: ObjectIdentifier(connection)) != nil {
            let remaining = runtime.statistics.connections.subtract(1, ordering: .sequentiallyConsistent).newValue
            runtime.connectionClosed(remaining: remaining)
        }
    }

    func didRespond(tag: Int, status: Int) {
        runtime.statistics.record(route: tag, status: status)
    }

    func route(
        _ head: HTTPRequestHead,
        in buffer: UnsafeRawBufferPointer,
        startedAfterDrain: Bool,
        connection: HTTPServerConnection
    ) -> HTTPRouting {
        let path = UnsafeRawBufferPointer(rebasing: buffer[head.path])
        let matched = runtime.router.match(path)
        let tag = matched?.index ?? -1
        var decoration: ResponseDecoration?
        let pipeline = runtime.pipeline
        // A spec's error wording for its paths (none unless a spec registered one: one empty-array check).
        let shaped = runtime.router.shapedPrefixes.isEmpty ? nil : runtime.router.shapedPrefix(for: path)
        if !pipeline.isIdle {
            let outcome = pipeline.run(
                head,
                in: buffer,
                exemptFromAPIKey: matched?.entry.exemptFromAPIKey ?? false,
                connection: connection,
                loop: pipelineState
            )
            decoration = outcome.decoration.flatMap { $0.isEmpty ? nil : $0 }
            if let shaped {
                if let decoration { decoration.errorShape = shaped.shape } else { decoration = shaped.decoration }
            }
            if let answer = outcome.answer {
                return HTTPRouting(route: answer, tag: tag, decoration: decoration)
            }
        } else if let shaped {
            decoration = shaped.decoration
        }
        guard let entry = matched?.entry else {
            if let shaped {
                let message = shaped.shape.notFoundMessage(String(decoding: path, as: UTF8.self))
                return HTTPRouting(route: .respond(.error(.notFound, message)), tag: tag, decoration: decoration)
            }
            return HTTPRouting(route: .respond(.notFound), tag: tag, decoration: decoration)
        }
        let route = self.route(
            head,
            in: buffer,
            to: entry,
            startedAfterDrain: startedAfterDrain,
            connection: connection,
            requestID: decoration?.requestID
        )
        return HTTPRouting(route: route, tag: tag, decoration: decoration)
    }

    private func route(
        _ head: HTTPRequestHead,
        in buffer: UnsafeRawBufferPointer,
        to entry: Router.Entry,
        startedAfterDrain: Bool,
        connection: HTTPServerConnection,
        requestID: RequestID?
    ) -> HTTPRoute {
        let isGet = head.method == .get || head.method == .head
        switch entry.target {
        case .liveness:
            // Alive while the process serves, draining included: an orchestrator must not kill a draining server.
            guard isGet else { return .respond(methodNotAllowed(entry)) }
            return .respond(runtime.builtInResponse(entry.target))
        case .health:
            guard isGet else { return .respond(methodNotAllowed(entry)) }
            if runtime.isShuttingDown { return .respond(runtime.shuttingDownHealthResponse) }
            return .respond(runtime.builtInResponse(entry.target))
        case .staticJSON(let index):
            guard isGet else { return .respond(methodNotAllowed(entry)) }
            switch runtime.router.staticKinds[index] {
            case .liveness:
                return .respond(runtime.builtInResponse(entry.target))
            case .readiness(let status, let body):
                if runtime.isShuttingDown {
                    return .respond(runtime.shuttingDownReadinessResponse(status: status, body: body))
                }
                return .respond(runtime.builtInResponse(entry.target))
            case .fixed:
                if startedAfterDrain { return .respond(runtime.drainingResponse(for: entry.target)) }
                return .respond(runtime.builtInResponse(entry.target))
            }
        case .root, .info, .metrics:
            guard isGet else { return .respond(methodNotAllowed(entry)) }
            if startedAfterDrain {
                return .respond(runtime.drainingResponse(for: entry.target))
            }
            return .respond(runtime.builtInResponse(entry.target))
        case .shutdown:
            guard head.method == .post else { return .respond(methodNotAllowed(entry)) }
            if runtime.isShuttingDown {
                return .respond(runtime.drainingResponse(for: entry.target))
            }
            let authorization = head.authorization.map { UnsafeRawBufferPointer(rebasing: buffer[$0]) }
            return .respond(runtime.shutdownResponse(authorization: authorization))
        case .endpoint(let index):
            guard head.method == .post else { return .respond(methodNotAllowed(entry)) }
            if startedAfterDrain {
                return .respond(runtime.drainingResponse(for: entry.target))
            }
            let endpoint = runtime.endpoints[index]
            if endpoint.authorizer.isActive {
                let context = endpoint.authorizationContext(
                    head,
                    in: buffer,
                    connection: connection,
                    requestID: requestID
                )
                if let refusal = endpoint.authorizer.refusal(for: context) { return .refuse(refusal) }
            }
            if let kind = endpoint.settings.requestBody {
                return bodyKindRoute(head, in: buffer, kind: kind, endpoint: endpoint.settings, target: index)
            }
            var capture: RequestCapture?
            if runtime.tracesRequests {
                let traceHeaders = TraceHeaders.capture(head, in: buffer)
                if !traceHeaders.isEmpty { capture = RequestCapture(traceHeaders: traceHeaders) }
            }
            if endpoint.settings.needsRequestHeaders {
                capture = RequestCapture(
                    headers: Self.headerStrings(head, in: buffer),
                    traceHeaders: capture?.traceHeaders ?? []
                )
            }
            return .collectBody(target: index, capture: capture)
        }
    }

    func dispatch(
        target: Int,
        head: RequestSummary,
        capture: RequestCapture?,
        decoration: ResponseDecoration?,
        body: [UInt8],
        responder: HTTPResponder
    ) -> HTTPDispatch {
        let result = runtime.endpoints[target].admit(
            body: body,
            capture: capture,
            decoration: decoration,
            responder: responder,
            completions: completions,
            loop: loop.index
        )
        if case .pending = result, !endpointsToWake.contains(target) {
            endpointsToWake.append(target)
        }
        return result
    }

    /// Once per loop iteration, before the loop waits for I/O: one wake-up for every job this iteration queued, so
    /// a worker takes them together instead of being woken (and preempting the loop) once per request.
    private func wakeWorkers() {
        guard !endpointsToWake.isEmpty else { return }
        for index in endpointsToWake { runtime.endpoints[index].wakeWorkers() }
        endpointsToWake.removeAll(keepingCapacity: true)
    }

    /// A body kind's refusal of the request's `Content-Type` (415, or 400 for a multipart form without a boundary),
    /// decided before the body is read.
    private static func bodyRefusal(_ kind: RequestBodyKind, _ contentType: String?) -> HTTPResponse? {
        guard let refusal = kind.refusal(contentType) else { return nil }
        let status = (400...599).contains(refusal.status) ? refusal.status : 500
        return .error(HTTPStatus(status), refusal.detail)
    }

    /// The route of a request to an endpoint with a body kind: refused at once for a `Content-Type` the kind does
    /// not accept, else its body is read with what the kind needs captured: the `Content-Type`, the header fields
    /// (strings when the API asked for them, else one packed copy decoded only if read), and for a multipart form
    /// the sink that parses the body as it arrives.
    private func bodyKindRoute(
        _ head: HTTPRequestHead,
        in buffer: UnsafeRawBufferPointer,
        kind: RequestBodyKind,
        endpoint settings: LitEndpointSettings,
        target: Int
    ) -> HTTPRoute {
        let contentType = RequestCapture.contentType(head, in: buffer)
        if let refusal = Self.bodyRefusal(kind, contentType) { return .refuse(refusal) }
        let traceHeaders = runtime.tracesRequests ? TraceHeaders.capture(head, in: buffer) : []
        let sink = kind.parsesMultipartOnLoop ? Self.multipartSink(contentType, head, limits: settings.formLimits) : nil
        let capture: RequestCapture
        if settings.needsRequestHeaders {
            capture = RequestCapture(
                headers: Self.headerStrings(head, in: buffer),
                traceHeaders: traceHeaders,
                contentType: contentType,
                bodySink: sink
            )
        } else {
            capture = RequestCapture(
                traceHeaders: traceHeaders,
                contentType: contentType,
                packedHeaders: RequestCapture.packHeaderFields(head, in: buffer),
                bodySink: sink
            )
        }
        return .collectBody(target: target, capture: capture)
    }

    /// Every header field of the head as strings, names as sent.
    private static func headerStrings(
        _ head: HTTPRequestHead,
        in buffer: UnsafeRawBufferPointer
    ) -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = []
        headers.reserveCapacity(head.headers.count)
        for field in head.headers {
            headers.append(
                (
                    String(decoding: UnsafeRawBufferPointer(rebasing: buffer[field.name]), as: UTF8.self),
                    String(decoding: UnsafeRawBufferPointer(rebasing: buffer[field.value]), as: UTF8.self)
                )
            )
        }
        return headers
    }

    /// A sink that parses a multipart body on this loop as it arrives; nil if the `Content-Type` cannot be parsed
    /// (the refusal at head time has already answered such a request).
    private static func multipartSink(
        _ contentType: String?,
        _ head: HTTPRequestHead,
        limits: FormLimits
    ) -> MultipartBodySink? {
        guard let type = contentType.flatMap({ MediaType($0) }) else { return nil }
        return try? MultipartBodySink(contentType: type, limits: limits, expectedBodyLength: head.contentLength)
    }

    private func methodNotAllowed(_ entry: Router.Entry) -> HTTPResponse {
        .error(.methodNotAllowed, "Method Not Allowed", headers: [("Allow", entry.allow)])
    }
}
