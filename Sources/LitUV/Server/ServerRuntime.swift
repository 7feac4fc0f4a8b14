import Dispatch
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One run of a ``LitServer``, from `start()` to the moment every loop closed: the loops, the endpoints, and the
/// state the shutdown sequence works on. A server can be started again after a run ends; each run gets a new
/// runtime.
///
/// This file starts a run (in order: loops, inline copies, listeners, workers, signals, the shutdown coordinator,
/// and the metrics publisher when an application backend needs one). The rest of the run lives beside it:
/// `ServerRuntime+Shutdown.swift` (the shutdown sequence, top to bottom), `ServerRuntime+Signals.swift`,
/// `BuiltInAnswers.swift` (`/`, `/health`, `/info`, `/metrics`, `/shutdown`), `PrometheusMetrics.swift` and
/// `MetricsPublisher.swift`. Requests reach the endpoints through each loop's ``LoopContext``.
final class ServerRuntime: @unchecked Sendable {
    // Invariant for @unchecked Sendable: the immutable `let`s are set in init; `loops`/`contexts`/`signalWatchers`
    // are written only in `start` before any other thread can see them and read-only afterwards; mutable shared state
    // is atomic or behind a Mutex; each LoopContext is used only on its loop's thread.

    let configuration: LitServer.Configuration
    let router: Router
    let statistics: RequestStatistics
    /// LitUV's metrics of this run as swift-metrics objects (`MetricsPublisher.swift`).
    let metrics: MetricsPublisher
    /// The endpoints, in the order they were given (the router's `.endpoint(index)`).
    let endpoints: [ServedEndpoint]
    let shutdownKey: ShutdownKey?
    let listeners: [LitServer.Listener]
    private let tlsContexts: [TLSContext?]
    /// The bound port of each listener, in order (the real ones when port 0 was asked for).
    private(set) var ports: [Int] = []
    var host: String { listeners[0].host }
    var port: Int { ports.first ?? 0 }
    /// Predictions queued or running, across every endpoint.
    let inFlight: InFlightCounter
    let infoBody: [UInt8]
    /// The steps every request head passes before routing (API key, CORS, request ids, ...).
    let pipeline: RequestPipeline
    /// The callbacks and the tracer, nil when there are none (docs/ARCHITECTURE.md, "Callbacks", "Tracing").
    let observer: ServerObserver?
    /// A tracer is active: request heads' `traceparent`/`tracestate` are kept for it.
    let tracesRequests: Bool
    var logger: Logger { configuration.logger }

    // Written by `start`, then read by the shutdown sequence.
    private(set) var loops: [EventLoop] = []
    private(set) var contexts: [LoopContext] = []
    var signalWatchers: [SignalWatcher] = []
    private var coordinator: NativeThread?

    // Shared with the shutdown sequence and the signal handlers.
    /// From the moment a shutdown began: `/health` answers 503, connections close after their last answer.
    let shuttingDown = Atomic<Bool>(false)
    /// From the moment the listeners close (after the drain delay): requests that start now are answered 503.
    let draining = Atomic<Bool>(false)
    /// Connections still reading requests that started before the drain (the drain waits for them too).
    let readsBeforeDrain = Atomic<Int>(0)
    let shutdownRequested = Atomic<Bool>(false)
    /// Signalled once by ``beginShutdown()``; the coordinator thread waits on it.
    let trigger = DispatchSemaphore(value: 0)
    /// Left when the run has ended.
    let finished = DispatchGroup()
    /// Where the shutdown sequence sleeps: woken when the in-flight count or ``readsBeforeDrain`` reaches 0, and
    /// when the last connection of a draining server closes.
    let shutdownProgress = Parker()
    let failure = Mutex<LitServerError?>(nil)
    let closeStatuses = Mutex<[Int32]>([])
    let interrupts = Atomic<Int>(0)

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
        let metrics = MetricsPublisher(isEnabled: configuration.metricsEnabled, application: MetricsBackend.application)
        self.metrics = metrics
        statistics = RequestStatistics(routeNames: router.names, metricsEnabled: configuration.metricsEnabled)
        let inFlight = InFlightCounter(waiter: shutdownProgress)
        self.inFlight = inFlight
        let timeout = configuration.timeout.map(\.nanoseconds)
        // The tracer is chosen once per run: the no-op one means no tracing work at all per request.
        let observer = ServerObserver(
            callbacks: configuration.callbacks,
            tracer: RequestTracer.active(),
            logger: configuration.logger
        )
        self.observer = observer
        tracesRequests = observer?.tracesRequests ?? false
        endpoints = definitions.map { definition in
            let settings = LitEndpointSettings(
                path: definition.path,
                name: definition.name,
                isStreaming: definition.isStreaming,
                runsInline: definition.runsInline,
                needsRequestHeaders: definition.needsRequestHeaders,
                maxQueuedStreamBytes: definition.maxQueuedStreamBytes,
                streamStallTimeoutNanoseconds: definition.streamStallTimeout.nanoseconds,
                maxBatchSize: definition.maxBatchSize,
                batchTimeoutNanoseconds: definition.batchTimeout.nanoseconds,
                workersPerDevice: definition.workersPerDevice,
                devices: definition.devices,
                enforcesMinimumBodyDataRate: definition.enforcesMinimumBodyDataRate,
                requestBody: definition.requestBody,
                formLimits: definition.formLimits
            )
            let statistics = metrics.endpointStatistics(path: definition.path)
            let kind = definition.makeRuntime(
                EndpointContext(
                    endpoint: settings,
                    queueCapacity: configuration.maxQueueDepth,
                    loopCount: configuration.ioThreads,
                    logger: configuration.logger,
                    statistics: statistics
                )
            )
            return ServedEndpoint(
                settings: settings,
                statistics: statistics,
                kind: kind,
                authorizer: Authorizer(
                    check: definition.authorize,
                    errors: ErrorAnswers(name: definition.name, logger: configuration.logger)
                ),
                timeoutNanoseconds: timeout,
                inFlight: inFlight,
                observer: observer
            )
        }
        if configuration.enableShutdownAPI {
            // Read when the server starts (not at load), and only when no key was configured.
            let environment =
                configuration.shutdownAPIKey == nil
                ? getenv("LIT_SHUTDOWN_API_KEY").map { String(cString: $0) } : nil
            shutdownKey = try ShutdownKey.resolve(configured: configuration.shutdownAPIKey, environment: environment)
        } else {
            shutdownKey = nil
        }
        var onResponseWritten: (@Sendable (RequestRecord, Int, Int) -> Void)?
        if let observer {
            onResponseWritten = { record, status, bytes in
                observer.responseWritten(record, status: status, bodyBytes: bytes)
            }
        }
        pipeline = try PipelineSetup.make(configuration, onResponseWritten: onResponseWritten)
        infoBody = ServerInfo.render(configuration: configuration, endpoints: endpoints.map(\.settings))
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
            do {
                coordinator = try NativeThread.spawn(name: "lituv-stop") { [self] in self.coordinate() }
            } catch {
                throw .threadCreationFailed(error)
            }
        } catch {
            abortStart()
            finished.leave()
            throw error
        }
        do {
            try metrics.startPublishing { [weak self] in self?.publishMetrics() }
        } catch {
            logger.warning("metrics: cannot start the lituv-metrics thread (\(error)); publishing at scrapes only")
        }
        announceShutdownKey()
        observer?.serverDidStart(host: host, ports: ports)
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
            do {
                try loop.start(name: "lituv-io\(index)")
            } catch {
                throw .threadCreationFailed(error)
            }
        }
    }

    /// Sets up each loop's copy of every inline endpoint, on the loop's thread, before any request can arrive.
    private func setupInlineEndpoints() throws(LitServerError) {
        for (index, endpoint) in endpoints.enumerated() {
            guard let predictor = endpoint.inlinePredictor else { continue }
            for context in contexts {
                let loopIndex = context.loop.index
                let result: Result<Void, SetupFailure> = context.loop.runAndWait {
                    do {
                        try predictor.setup(loop: loopIndex)
                        return .success(())
                    } catch {
                        return .failure(SetupFailure(error: error))
                    }
                }
                if case .failure(let failure) = result {
                    logger.error(
                        "setup failed for \(endpoints[index].settings.name) on loop \(loopIndex): \(failure.error)"
                    )
                    throw .setupFailed(api: endpoints[index].settings.name, failure.error)
                }
            }
        }
    }

    /// Runs `teardown` on each loop's copy of every inline endpoint, on the loop's thread (after `stop()`, so no
    /// prediction can start on it any more). Only loops whose copy was set up are visited; they are running.

    private func bindListeners() throws(LitServerError) {
        for (index, listener) in listeners.enumerated() {
            var address = try resolve(host: listener.host, port: listener.port)
            // A plain bind first, so that a port another process listens on is an error, unless the configuration asks
            // to share it with that process (a hot restart: both listen with SO_REUSEPORT until the old one stops).
            if !configuration.reusePort {
                do {
                    try address.probeAvailable()
                } catch {
                    throw .listen(error, address: address.description)
                }
            }
            var boundPort = listener.port
            let tls = tlsContexts[index]
            for context in contexts {
                let result: Result<Int, UVError> = context.loop.runAndWait { [address] in
                    Result { () throws(UVError) -> Int in try context.listen(on: address, tls: tls) }
                }
                switch result {
                case .success(let bound):
                    if boundPort == 0 {
                        boundPort = bound
                        address = try resolve(host: listener.host, port: bound)
                    }
                case .failure(let error):
                    throw .listen(error, address: address.description)
                }
            }
            ports.append(boundPort)
        }
    }

    private func resolve(host: String, port: Int) throws(LitServerError) -> SocketAddress {
        do {
            return try SocketAddress(host: host, port: port)
        } catch {
            throw .invalidAddress(error)
        }
    }

    private func startWorkers() throws(LitServerError) {
        for (index, endpoint) in endpoints.enumerated() {
            let name = endpoints[index].settings.name
            do {
                try endpoint.start { [weak self] error in
                    guard let self else { return }
                    self.failure.withLock { current in
                        if current == nil { current = .setupFailed(api: name, error) }
                    }
                    self.beginShutdown()
                }
            } catch {
                throw .threadCreationFailed(error)
            }
        }
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

    // MARK: State

    /// True once the listeners closed (after the drain delay): requests that start now are refused.
    var isDraining: Bool { draining.load(ordering: .acquiring) }

    /// True from the moment a shutdown began: readiness is down and connections close after their last answer.
    var isShuttingDown: Bool { shuttingDown.load(ordering: .acquiring) }

    var inFlightCount: Int { inFlight.value }

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

}

/// A setup error carried out of a loop thread (`any Error` is not a typed-throws `Failure` by itself).
struct SetupFailure: Error {
    let error: any Error
}
