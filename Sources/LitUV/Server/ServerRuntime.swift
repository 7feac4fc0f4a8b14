import Dispatch
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One run of a ``LitServer``, from `start()` to the moment every loop closed: the loops, the workers, the shutdown
/// sequence. A server can be started again after a run ends; each run gets a new runtime.
final class ServerRuntime: @unchecked Sendable {
    // Invariant for @unchecked Sendable: the immutable `let`s are set in init; `loops`/`contexts` are written only
    // in `start` before any other thread can see them and read-only afterwards; mutable shared state is atomic or
    // behind a Mutex; each LoopContext is used only on its loop's thread.

    let configuration: LitServer.Configuration
    let router: Router
    let statistics: RequestStatistics
    let endpointSettings: [LitEndpointSettings]
    let endpointStatistics: [EndpointStatistics]
    let endpoints: [any EndpointRuntime]
    let shutdownKey: ShutdownKey?
    let listeners: [LitServer.Listener]
    private let tlsContexts: [TLSContext?]
    /// The bound port of each listener, in order (the real ones when port 0 was asked for).
    private(set) var ports: [Int] = []
    var host: String { listeners[0].host }
    var port: Int { ports.first ?? 0 }
    private var loops: [EventLoop] = []
    private var contexts: [LoopContext] = []
    private var signalWatchers: [SignalWatcher] = []
    private var coordinator: NativeThread?
    private let infoBody: [UInt8]
    private let timeoutNanoseconds: UInt64?
    private var logger: Logger { configuration.logger }

    private let draining = Atomic<Bool>(false)
    private let shutdownRequested = Atomic<Bool>(false)
    private let inFlight = Atomic<Int>(0)
    private let trigger = DispatchSemaphore(value: 0)
    private let finished = DispatchGroup()
    private let failure = Mutex<LitServerError?>(nil)
    private let closeStatuses = Mutex<[Int32]>([])
    private let interrupts = Atomic<Int>(0)

    init(
        configuration: LitServer.Configuration,
        endpoints definitions: [LitEndpoint],
        listeners: [LitServer.Listener]
    ) throws(LitServerError) {
        guard !listeners.isEmpty else { throw .invalidConfiguration("at least one listener is required") }
        self.configuration = configuration
        self.listeners = listeners
        var contexts: [TLSContext?] = []
        for listener in listeners {
            guard let tls = listener.tls else {
                contexts.append(nil)
                continue
            }
            do {
                contexts.append(try TLSContext(tls))
            } catch {
                throw LitServerError(code: .tlsConfiguration, message: "TLS: \(error)", underlying: error)
            }
        }
        tlsContexts = contexts
        router = try Router(
            configuration: configuration,
            endpointPaths: definitions.map(\.path),
            staticRoutes: StaticRoute.mergingDuplicatePaths(definitions.flatMap(\.staticRoutes))
        )
        statistics = RequestStatistics(routeNames: router.names)
        let settings = definitions.map {
            LitEndpointSettings(
                path: $0.path,
                name: $0.name,
                isStreaming: $0.isStreaming,
                runsInline: $0.runsInline,
                needsRequestHeaders: $0.needsRequestHeaders,
                maxQueuedStreamBytes: $0.maxQueuedStreamBytes,
                streamStallTimeoutNanoseconds: $0.streamStallTimeout.nanoseconds,
                maxBatchSize: $0.maxBatchSize,
                batchTimeoutNanoseconds: $0.batchTimeout.nanoseconds,
                workersPerDevice: $0.workersPerDevice,
                devices: $0.devices
            )
        }
        endpointSettings = settings
        let stats = definitions.map { _ in EndpointStatistics() }
        endpointStatistics = stats
        endpoints = zip(definitions, zip(settings, stats)).map { definition, pair in
            definition.makeRuntime(
                EndpointContext(
                    endpoint: pair.0,
                    queueCapacity: configuration.maxQueueDepth,
                    loopCount: configuration.ioThreads,
                    logger: configuration.logger,
                    statistics: pair.1
                )
            )
        }
        timeoutNanoseconds = configuration.timeout.map(\.nanoseconds)
        if configuration.enableShutdownAPI {
            // Read when the server starts (not at load), and only when no key was configured.
            let environment =
                configuration.shutdownAPIKey == nil
                ? getenv("LIT_SHUTDOWN_API_KEY").map { String(cString: $0) } : nil
            shutdownKey = try ShutdownKey.resolve(configured: configuration.shutdownAPIKey, environment: environment)
        } else {
            shutdownKey = nil
        }
        infoBody = ServerInfo.render(configuration: configuration, endpoints: settings)
    }

    // MARK: Start

    /// Creates the loops, binds every listener, starts the workers and the shutdown coordinator.
    func start() throws(LitServerError) {
        finished.enter()
        do throws(LitServerError) {
            try startLoops()
            try setupInlineEndpoints()
            try bindListeners()
            try startWorkers()
            if configuration.handleSignals { try installSignalHandlers() }
            coordinator = try NativeThread.spawn(name: "lituv-stop") { [self] in self.coordinate() }
        } catch {
            abortStart()
            finished.leave()
            throw error
        }
        announceShutdownKey()
    }

    private func startLoops() throws(LitServerError) {
        guard configuration.ioThreads >= 1 else { throw .invalidConfiguration("ioThreads must be at least 1") }
        for index in 0..<configuration.ioThreads {
            let loop: EventLoop
            do {
                loop = try EventLoop(index: index)
            } catch {
                throw LitServerError(
                    code: .loopFailed,
                    message: "cannot create event loop: \(error)",
                    underlying: error
                )
            }
            let context = LoopContext(loop: loop, runtime: self)
            loop.onStop = { [unowned context] in context.closeAll() }
            loops.append(loop)
            contexts.append(context)
            try loop.start(name: "lituv-io\(index)")
        }
    }

    /// Sets up each loop's copy of every inline endpoint, on the loop's thread, before any request can arrive.
    private func setupInlineEndpoints() throws(LitServerError) {
        for (index, endpoint) in endpoints.enumerated() {
            guard let predictor = endpoint.inlinePredictor else { continue }
            for context in contexts {
                let loopIndex = context.loop.index
                let result: Result<Void, SetupFailure> = onLoop(context.loop) {
                    do {
                        try predictor.setup(loop: loopIndex)
                        return .success(())
                    } catch {
                        return .failure(SetupFailure(error: error))
                    }
                }
                if case .failure(let failure) = result {
                    logger.error(
                        "setup failed for \(endpointSettings[index].name) on loop \(loopIndex): \(failure.error)"
                    )
                    throw .setupFailed(api: endpointSettings[index].name, failure.error)
                }
            }
        }
    }

    /// Runs `teardown` on each loop's copy of every inline endpoint, on the loop's thread (after `stop()`, so no
    /// prediction can start on it any more). Only loops whose copy was set up are visited; they are running.
    private func tearDownInlineEndpoints() {
        for endpoint in endpoints {
            guard let predictor = endpoint.inlinePredictor else { continue }
            for context in contexts.prefix(predictor.setUpCount) {
                let box = UncheckedBox(context)
                onLoop(context.loop) { predictor.teardown(loop: box.value.loop.index) }
            }
        }
    }

    /// Binds every listener on every loop (SO_REUSEPORT); a port 0 is resolved by the first loop's bind.
    private func bindListeners() throws(LitServerError) {
        for (index, listener) in listeners.enumerated() {
            var address = try SocketAddress(host: listener.host, port: listener.port)
            do {
                try address.probeAvailable()
            } catch {
                throw .listen(error, address: address.description)
            }
            var boundPort = listener.port
            let tls = tlsContexts[index]
            for context in contexts {
                let result: Result<Int, UVError> = onLoop(context.loop) { [address] in
                    Result { () throws(UVError) -> Int in try context.listen(on: address, tls: tls) }
                }
                switch result {
                case .success(let bound):
                    if boundPort == 0 {
                        boundPort = bound
                        address = try SocketAddress(host: listener.host, port: bound)
                    }
                case .failure(let error):
                    throw .listen(error, address: address.description)
                }
            }
            ports.append(boundPort)
        }
    }

    private func startWorkers() throws(LitServerError) {
        for (index, endpoint) in endpoints.enumerated() {
            let name = endpointSettings[index].name
            try endpoint.start { [weak self] error in
                guard let self else { return }
                self.failure.withLock { current in
                    if current == nil { current = .setupFailed(api: name, error) }
                }
                self.beginShutdown()
            }
        }
    }

    private func installSignalHandlers() throws(LitServerError) {
        let result: Result<[SignalWatcher], UVError> = onLoop(loops[0]) { [self] in
            Result { () throws(UVError) -> [SignalWatcher] in
                let handler: (Int32) -> Void = { [unowned self] signal in self.handleSignal(signal) }
                return [
                    try SignalWatcher(loop: loops[0], signal: SIGINT, onSignal: handler),
                    try SignalWatcher(loop: loops[0], signal: SIGTERM, onSignal: handler),
                ]
            }
        }
        switch result {
        case .success(let watchers): signalWatchers = watchers
        case .failure(let error):
            throw LitServerError(code: .loopFailed, message: "cannot watch signals: \(error)", underlying: error)
        }
    }

    private func handleSignal(_ signal: Int32) {
        let count = interrupts.add(1, ordering: .relaxed).newValue
        if signal == SIGINT && count > 1 {
            Terminal.writeError("LitUV: second interrupt, stopping immediately\n")
            exit(130)
        }
        logger.info("received signal \(signal), shutting down gracefully")
        beginShutdown()
    }

    private func abortStart() {
        for endpoint in endpoints { endpoint.stop() }
        tearDownInlineEndpoints()
        for endpoint in endpoints { endpoint.join() }
        for loop in loops { loop.stop() }
        for loop in loops { loop.join() }
        closeStatuses.withLock { $0 = loops.compactMap(\.closeStatus) }
    }

    private func announceShutdownKey() {
        guard let key = shutdownKey, configuration.enableShutdownAPI else { return }
        let scheme = listeners[0].tls == nil ? "http" : "https"
        let url = "\(scheme)://\(host.contains(":") ? "[\(host)]" : host):\(port)\(configuration.shutdownPath)"
        if key.generated {
            // Printed once to the terminal, never to a log handler.
            Terminal.writeError(
                """
                LitUV: shutdown API enabled. Generated key (set LIT_SHUTDOWN_API_KEY to choose your own):
                  curl -X POST -H 'Authorization: Bearer \(key.value)' \(url)

                """
            )
        }
        logger.info("shutdown API enabled at \(url)")
    }

    // MARK: Serving

    var isDraining: Bool { draining.load(ordering: .acquiring) }

    func submit(
        endpoint: Int,
        body: [UInt8],
        headers: [(name: String, value: String)],
        responder: HTTPResponder,
        completions: CompletionSink,
        loop: Int
    ) -> HTTPDispatch {
        let now = Monotonic.nanoseconds()
        let deadline = timeoutNanoseconds.map { now &+ $0 } ?? .max
        let context = RequestContext(
            headers: headers,
            path: endpointSettings[endpoint].path,
            serverName: responder.serverName
        )
        if let predictor = endpoints[endpoint].inlinePredictor {
            return .respond(
                predictor.respond(loop: loop, body: body, context: context, arrival: now, deadline: deadline)
            )
        }
        let job = Job(
            body: body,
            arrival: now,
            deadline: deadline,
            responder: responder,
            completions: completions,
            statistics: endpointStatistics[endpoint],
            context: context
        )
        inFlight.add(1, ordering: .relaxed)
        if endpoints[endpoint].submit(job) {
            return .pending(job)
        }
        inFlight.subtract(1, ordering: .relaxed)
        return .respond(
            .error(.serviceUnavailable, "Server is busy: the request queue is full", headers: [("Retry-After", "1")])
        )
    }

    func jobSettled() {
        inFlight.subtract(1, ordering: .acquiringAndReleasing)
    }

    var inFlightCount: Int { inFlight.load(ordering: .acquiring) }

    func builtInResponse(_ target: Router.Target) -> HTTPResponse {
        switch target {
        case .root:
            return .running
        case .health:
            for endpoint in endpoints where !endpoint.isHealthy { return .notReady }
            return .healthy
        case .info:
            return HTTPResponse(status: .ok, contentType: .json, body: infoBody)
        case .metrics:
            return HTTPResponse(status: .ok, contentType: .prometheus, body: Array(renderMetrics().utf8))
        case .staticJSON(let index):
            return HTTPResponse(status: .ok, contentType: .json, body: router.staticBodies[index])
        case .shutdown, .endpoint:
            return .notFound
        }
    }

    func drainingResponse(for target: Router.Target) -> HTTPResponse {
        if target == .health {
            var response = HTTPResponse.text(.serviceUnavailable, "not ready")
            response.closeConnection = true
            return response
        }
        return .error(.serviceUnavailable, "Server is shutting down", headers: [("Retry-After", "1")], close: true)
    }

    func shutdownResponse(authorization: UnsafeRawBufferPointer?) -> HTTPResponse {
        let challenge = [(name: "WWW-Authenticate", value: "Bearer")]
        guard let key = shutdownKey else { return .error(.notFound, "Not Found") }
        guard let authorization else {
            return .error(.unauthorized, "Missing shutdown key: send Authorization: Bearer <key>", headers: challenge)
        }
        guard let token = BearerToken.parse(authorization) else {
            return .error(.unauthorized, "Authorization scheme must be Bearer", headers: challenge)
        }
        guard key.matches(token) else {
            return .error(.unauthorized, "Invalid shutdown key", headers: challenge)
        }
        var response = HTTPResponse.text(.ok, "Server is initiating graceful shutdown.")
        response.afterWrite = { [weak self] in self?.beginShutdown() }
        return response
    }

    private func renderMetrics() -> String {
        var out = ""
        statistics.render(into: &out)
        out += "# HELP lituv_in_flight_requests Predictions queued or running.\n# TYPE lituv_in_flight_requests gauge\n"
        out += "lituv_in_flight_requests \(inFlightCount)\n"
        out += "# HELP lituv_open_connections Open client connections.\n# TYPE lituv_open_connections gauge\n"
        out += "lituv_open_connections \(statistics.connections.load(ordering: .relaxed))\n"
        out += "# HELP lituv_tls_handshake_failures_total Failed or timed-out TLS handshakes.\n"
        out += "# TYPE lituv_tls_handshake_failures_total counter\n"
        out += "lituv_tls_handshake_failures_total \(statistics.tlsHandshakeFailures.load(ordering: .relaxed))\n"
        out += "# HELP lituv_queue_depth Requests waiting for a worker.\n# TYPE lituv_queue_depth gauge\n"
        for (index, endpoint) in endpoints.enumerated() {
            out += "lituv_queue_depth{path=\"\(endpointSettings[index].path)\"} \(endpoint.queueDepth)\n"
        }
        out += "# HELP lituv_batch_size Requests per predict(batch:) call.\n# TYPE lituv_batch_size histogram\n"
        for (index, stats) in endpointStatistics.enumerated() {
            stats.batchSizes.render(
                name: "lituv_batch_size",
                labels: "path=\"\(endpointSettings[index].path)\"",
                into: &out
            )
        }
        out += "# HELP lituv_request_duration_seconds Arrival to answer of predictions.\n"
        out += "# TYPE lituv_request_duration_seconds histogram\n"
        for (index, stats) in endpointStatistics.enumerated() {
            stats.latency.render(
                name: "lituv_request_duration_seconds",
                labels: "path=\"\(endpointSettings[index].path)\"",
                into: &out
            )
        }
        out += "# HELP lituv_dropped_requests_total Requests dropped before predict (client gone or timed out).\n"
        out += "# TYPE lituv_dropped_requests_total counter\n"
        for (index, stats) in endpointStatistics.enumerated() {
            out += "lituv_dropped_requests_total{path=\"\(endpointSettings[index].path)\"} \(stats.skippedCount)\n"
        }
        return out
    }

    // MARK: Shutdown

    /// Starts the graceful shutdown. Any thread; idempotent; returns at once.
    func beginShutdown() {
        if shutdownRequested.exchange(true, ordering: .acquiringAndReleasing) { return }
        trigger.signal()
    }

    /// The shutdown sequence, on its own thread (DESIGN.md, "Shutdown, precisely").
    private func coordinate() {
        trigger.wait()
        draining.store(true, ordering: .releasing)
        // 1. Every listener closes at once; idle connections close; busy ones close after their answers.
        for context in contexts {
            let context = UncheckedBox(context)
            onLoop(context.value.loop) { context.value.beginDrain() }
        }
        // 2. Queued and running predictions are answered, within the drain timeout.
        let drainDeadline = Monotonic.nanoseconds() &+ configuration.drainTimeout.nanoseconds
        while inFlightCount > 0 && Monotonic.nanoseconds() < drainDeadline {
            usleep(1_000)
        }
        if inFlightCount > 0 {
            logger.warning("drain timeout passed with \(inFlightCount) predictions unanswered; answering 503")
            let response = HTTPResponse.error(.serviceUnavailable, "Server is shutting down", close: true)
            for endpoint in endpoints {
                for job in endpoint.drainQueue() where job.tryStart(now: 0) {
                    job.finish(response)
                }
            }
            for context in contexts {
                let context = UncheckedBox(context)
                onLoop(context.value.loop) { context.value.failPending() }
            }
        }
        // 3. Workers finish; teardown runs on each; threads are joined.
        for endpoint in endpoints { endpoint.stop() }
        tearDownInlineEndpoints()
        for endpoint in endpoints { endpoint.join() }
        // 4. Let the last answers reach the kernel (bounded), then close everything on every loop.
        let flushDeadline = Monotonic.nanoseconds() &+ 2_000_000_000
        while Monotonic.nanoseconds() < flushDeadline {
            let open = contexts.reduce(0) { sum, context in
                let context = UncheckedBox(context)
                return sum + onLoop(context.value.loop) { context.value.connectionCount }
            }
            if open == 0 { break }
            usleep(1_000)
        }
        for loop in loops { loop.stop() }
        for loop in loops { loop.join() }
        closeStatuses.withLock { $0 = loops.map { $0.closeStatus ?? -1 } }
        logger.info("server stopped")
        finished.leave()
    }

    /// Blocks until the run has ended.
    /// - Throws: ``LitServerError`` when a worker's setup failed.
    func wait() throws(LitServerError) {
        finished.wait()
        if let error = failure.withLock({ $0 }) { throw error }
    }

    /// Suspends until the run has ended.
    func waitAsync() async throws(LitServerError) {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            finished.notify(queue: .global()) { continuation.resume() }
        }
        if let error = failure.withLock({ $0 }) { throw error }
    }

    /// `uv_loop_close` results of every loop once the run ended (all 0 when every handle was closed).
    var loopCloseStatuses: [Int32] { closeStatuses.withLock { $0 } }

    /// Joins the coordinator thread after the run ended.
    func joinCoordinator() {
        coordinator?.join()
        coordinator = nil
    }

    /// Runs `body` on `loop`'s thread and waits for its result.
    private func onLoop<T>(_ loop: EventLoop, _ body: @escaping () -> T) -> T {
        let box = UncheckedBox<T?>(nil)
        let done = DispatchSemaphore(value: 0)
        let work = UncheckedBox(body)
        loop.execute {
            box.value = work.value()
            done.signal()
        }
        done.wait()
        return box.value!
    }
}

/// A setup error carried out of a loop thread (`any Error` is not a typed-throws `Failure` by itself).
struct SetupFailure: Error {
    let error: any Error
}

/// Carries a value across threads where a happens-before edge (a semaphore, a queue hand-off) already orders the
/// accesses. Used only by `ServerRuntime.onLoop`.
final class UncheckedBox<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}

/// Parses `Bearer <token>` (scheme case-insensitive, surrounding spaces ignored) without allocating.
enum BearerToken {
    static func parse(_ value: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        let scheme = Array("bearer".utf8)
        guard value.count > scheme.count else { return nil }
        for (index, expected) in scheme.enumerated() where value[index] | 0x20 != expected {
            return nil
        }
        guard value[scheme.count] == UInt8(ascii: " ") else { return nil }
        var start = scheme.count
        var end = value.count
        while start < end && value[start] == UInt8(ascii: " ") { start += 1 }
        while end > start && value[end - 1] == UInt8(ascii: " ") { end -= 1 }
        guard start < end else { return nil }
        return UnsafeRawBufferPointer(rebasing: value[start..<end])
    }
}

/// Writes to the terminal's standard error directly (never through a log handler).
enum Terminal {
    static func writeError(_ message: String) {
        var message = message
        message.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(STDERR_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
                if written <= 0 { break }
                offset += written
            }
        }
    }
}
