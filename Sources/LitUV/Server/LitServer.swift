import ServiceLifecycle
import Synchronization

/// Serves one or more ``LitAPI``s over HTTP/1.1 on libuv event loops.
///
/// ```swift
/// let server = try LitServer(Square(), maxBatchSize: 8, batchTimeout: .milliseconds(5),
///                            configuration: .init(enableShutdownAPI: true))
/// try server.run(host: "0.0.0.0", port: 8000)   // blocks until shut down
/// ```
///
/// Embedding: ``start(host:port:)`` returns a ``RunningServer`` with the bound port and a thread-safe
/// ``RunningServer/shutdown()``; a server can be started again after it stopped. As a swift-service-lifecycle
/// `Service`, ``run()`` serves on ``Configuration/host``:``Configuration/port`` until graceful shutdown.
public final class LitServer: Sendable {
    /// The server-wide settings.
    public let configuration: Configuration
    /// The APIs served, one per path.
    public let endpoints: [LitEndpoint]
    private let current = Mutex<ServerRuntime?>(nil)

    /// Creates a server for several APIs.
    /// - Parameters:
    ///   - endpoints: The APIs, each on its own path with its own batching and workers.
    ///   - configuration: Server-wide settings.
    /// - Throws: ``LitServerError`` with code `invalidConfiguration`, naming the option, when an option or a
    ///   combination is invalid (for example `batchTimeout` longer than `timeout`, or two APIs on one path).
    public init(endpoints: [LitEndpoint], configuration: Configuration = Configuration()) throws(LitServerError) {
        try Self.validate(endpoints: endpoints, configuration: configuration)
        self.endpoints = endpoints
        self.configuration = configuration
    }

    /// Creates a server for one API.
    /// - Parameters:
    ///   - api: The API; each worker gets its own copy and runs its `setup`.
    ///   - path: The `POST` route. Default `/predict`.
    ///   - maxBatchSize: The most requests per `predict(batch:)`. Default 1.
    ///   - batchTimeout: The batch window from the first request's arrival. Default 0.
    ///   - workersPerDevice: Predict workers per device. Default 1.
    ///   - devices: Devices to spread workers over. Default 1.
    ///   - configuration: Server-wide settings.
    /// - Throws: ``LitServerError`` when an option is invalid.
    @inlinable  // so that the endpoint's worker code is specialised for `API` in the caller's module
    public convenience init<API: LitAPI>(
        _ api: API,
        path: String = "/predict",
        maxBatchSize: Int = 1,
        batchTimeout: Duration = .zero,
        workersPerDevice: Int = 1,
        devices: Int = 1,
        configuration: Configuration = Configuration()
    ) throws(LitServerError) {
        try self.init(
            endpoints: [
                LitEndpoint(
                    api,
                    path: path,
                    maxBatchSize: maxBatchSize,
                    batchTimeout: batchTimeout,
                    workersPerDevice: workersPerDevice,
                    devices: devices
                )
            ],
            configuration: configuration
        )
    }

    static func validate(endpoints: [LitEndpoint], configuration: Configuration) throws(LitServerError) {
        guard !endpoints.isEmpty else { throw .invalidConfiguration("at least one API is required") }
        guard configuration.ioThreads >= 1 else { throw .invalidConfiguration("ioThreads must be at least 1") }
        guard configuration.maxQueueDepth >= 1 else { throw .invalidConfiguration("maxQueueDepth must be at least 1") }
        guard configuration.limits.maxPayloadSize >= 0 else {
            throw .invalidConfiguration("maxPayloadSize must not be negative")
        }
        if let timeout = configuration.timeout, timeout <= .zero {
            throw .invalidConfiguration("timeout must be positive (use nil to disable it)")
        }
        guard configuration.headerTimeout > .zero, configuration.keepAliveTimeout > .zero else {
            throw .invalidConfiguration("headerTimeout and keepAliveTimeout must be positive")
        }
        guard configuration.drainTimeout >= .zero, configuration.drainDelay >= .zero else {
            throw .invalidConfiguration("drainTimeout and drainDelay must not be negative")
        }
        if let rate = configuration.minimumBodyDataRate, rate.bytesPerSecond < 1 || rate.grace < .zero {
            throw .invalidConfiguration(
                "minimumBodyDataRate must have bytesPerSecond of at least 1 and a grace not negative (nil turns it off)"
            )
        }
        if let limit = configuration.maxConnections, limit < 1 {
            throw .invalidConfiguration("maxConnections must be at least 1 (nil for no limit)")
        }
        if let key = configuration.shutdownAPIKey, key.isEmpty {
            throw .invalidConfiguration("shutdownAPIKey is empty")
        }
        _ = try PipelineSetup.make(configuration)  // the API key, CORS and trusted hosts
        for endpoint in endpoints {
            let name = "API at \(endpoint.path)"
            guard endpoint.maxBatchSize > 0 else {
                throw .invalidConfiguration("maxBatchSize of \(name) must be greater than 0")
            }
            guard endpoint.batchTimeout >= .zero else {
                throw .invalidConfiguration("batchTimeout of \(name) must not be negative")
            }
            if let timeout = configuration.timeout, endpoint.batchTimeout > timeout {
                throw .invalidConfiguration("batchTimeout of \(name) must not exceed timeout")
            }
            guard endpoint.workersPerDevice >= 1 else {
                throw .invalidConfiguration("workersPerDevice of \(name) must be at least 1")
            }
            guard endpoint.devices >= 1 else {
                throw .invalidConfiguration("devices of \(name) must be at least 1")
            }
            if endpoint.runsInline {
                guard !endpoint.isStreaming else {
                    throw .invalidConfiguration("runsInline of \(name): streaming APIs run on predict workers")
                }
                guard endpoint.maxBatchSize == 1 else {
                    throw .invalidConfiguration(
                        "runsInline of \(name) answers one request at a time: maxBatchSize must be 1"
                    )
                }
                guard endpoint.requestBody == nil, !endpoint.answersCustomResponses else {
                    throw .invalidConfiguration(
                        "runsInline of \(name): body kinds and custom responses run on predict workers"
                    )
                }
            }
        }
        // Paths: duplicates and collisions with built-in routes.
        _ = try Router(configuration: configuration, endpointPaths: endpoints.map(\.path))
    }

    /// Starts serving and returns at once.
    ///
    /// Listeners are bound before this returns (so a taken port is an error here); workers run `setup` in the
    /// background and `/health` answers 503 until they are all ready.
    /// - Parameters:
    ///   - host: The address to listen on. Default `127.0.0.1`.
    ///   - port: The port; 0 picks a free one (see ``RunningServer/port``).
    /// - Returns: A handle to shut the server down and wait for it.
    /// - Throws: ``LitServerError``: `addressInUse`, `bindFailed`, `alreadyRunning`, ...
    public func start(host: String = "127.0.0.1", port: Int = 8000) throws(LitServerError) -> RunningServer {
        try start(host: host, port: port, handleSignals: configuration.handleSignals)
    }

    /// Starts serving on several listeners at once — for example predictions over HTTPS and probes on plain HTTP
    /// on loopback — and returns at once.
    /// - Parameter listeners: The addresses, each plain or TLS. ``RunningServer/ports`` lists the bound ports.
    /// - Returns: A handle to shut the server down and wait for it.
    /// - Throws: ``LitServerError``: `addressInUse`, `bindFailed`, `tlsConfiguration`, `alreadyRunning`, ...
    public func start(listeners: [Listener]) throws(LitServerError) -> RunningServer {
        try start(listeners: listeners, handleSignals: configuration.handleSignals)
    }

    private func start(host: String, port: Int, handleSignals: Bool) throws(LitServerError) -> RunningServer {
        try start(listeners: [Listener(host: host, port: port, tls: configuration.tls)], handleSignals: handleSignals)
    }

    private func start(listeners: [Listener], handleSignals: Bool) throws(LitServerError) -> RunningServer {
        var configuration = configuration
        configuration.handleSignals = handleSignals
        let runtime = try ServerRuntime(configuration: configuration, endpoints: endpoints, listeners: listeners)
        let claimed = current.withLock { current -> Bool in
            if current != nil { return false }
            current = runtime
            return true
        }
        guard claimed else {
            throw LitServerError(code: .alreadyRunning, message: "the server is already running")
        }
        do {
            try runtime.start()
        } catch {
            current.withLock { $0 = nil }
            throw error
        }
        return RunningServer(runtime: runtime) { [weak self] in
            self?.current.withLock { current in
                if current === runtime { current = nil }
            }
        }
    }

    /// Serves until shut down (`POST /shutdown`, SIGINT or SIGTERM), then returns once every handle is closed.
    ///
    /// Owns the process: handles signals, and makes swift-prometheus the swift-metrics backend unless one is
    /// bootstrapped already (``bootstrapMetrics()``).
    /// - Parameters:
    ///   - host: The address to listen on. Default `0.0.0.0`, as LitServe.
    ///   - port: The port. Default 8000.
    /// - Throws: ``LitServerError`` when the server cannot start, or when an API's `setup` failed.
    public func run(host: String = "0.0.0.0", port: Int = 8000) throws(LitServerError) {
        if configuration.metricsEnabled { LitServer.bootstrapMetrics() }
        let running = try start(host: host, port: port, handleSignals: true)
        try running.wait()
    }
}

extension LitServer: Service {
    /// Serves on ``Configuration/host``:``Configuration/port`` until the service group's graceful shutdown (or a
    /// shutdown through the API), then returns once every handle is closed. Makes swift-prometheus the
    /// swift-metrics backend unless one is bootstrapped already (``bootstrapMetrics()``).
    /// - Throws: ``LitServerError`` when the server cannot start or an API's `setup` failed.
    public func run() async throws {
        if configuration.metricsEnabled { LitServer.bootstrapMetrics() }
        let running = try start(host: configuration.host, port: configuration.port, handleSignals: false)
        try await withGracefulShutdownHandler {
            try await running.waitAsync()
        } onGracefulShutdown: {
            running.shutdown()
        }
    }
}

/// A server that ``LitServer/start(host:port:)`` started: its bound port, and the way to stop it.
public final class RunningServer: Sendable {
    private let runtime: ServerRuntime
    private let onEnd: @Sendable () -> Void
    private let ended = Mutex(false)

    init(runtime: ServerRuntime, onEnd: @escaping @Sendable () -> Void) {
        self.runtime = runtime
        self.onEnd = onEnd
    }

    /// The host the server listens on.
    public var host: String { runtime.host }
    /// The bound port of the first listener (the real one when port 0 was asked for).
    public var port: Int { runtime.port }
    /// The bound port of every listener, in the order given to ``LitServer/start(listeners:)``.
    public var ports: [Int] { runtime.ports }

    /// Starts the graceful shutdown (the same path as `POST /shutdown` and SIGTERM). Any thread; idempotent;
    /// returns at once — call ``wait()`` to block until the server has stopped.
    public func shutdown() {
        runtime.beginShutdown()
    }

    /// Blocks until the server has stopped: listeners closed, answers drained, workers joined, loops closed.
    /// - Throws: ``LitServerError`` (`setupFailed`) when an API's `setup` threw.
    public func wait() throws(LitServerError) {
        defer { finish() }
        try runtime.wait()
    }

    /// Suspends until the server has stopped.
    /// - Throws: ``LitServerError`` (`setupFailed`) when an API's `setup` threw.
    public func waitAsync() async throws(LitServerError) {
        defer { finish() }
        try await runtime.waitAsync()
    }

    /// Shuts down and waits.
    /// - Throws: ``LitServerError`` when an API's `setup` threw.
    public func stop() throws(LitServerError) {
        shutdown()
        try wait()
    }

    /// What `uv_loop_close` returned for each I/O loop after the stop (all 0 when every libuv handle was closed);
    /// empty while the server runs.
    public var loopCloseStatuses: [Int32] { runtime.loopCloseStatuses }

    /// True once every worker has run `setup` and reports healthy, i.e. when `/health` would answer 200.
    public var isReady: Bool { !runtime.isDraining && runtime.endpoints.allSatisfy(\.isHealthy) }

    /// Predictions queued or running.
    var inFlightCount: Int { runtime.inFlightCount }
    /// Predict worker threads still alive (0 once ``wait()`` returned).
    var liveWorkerCount: Int { runtime.endpoints.reduce(0) { $0 + $1.liveWorkerCount } }
    var statistics: [EndpointStatistics] { runtime.endpoints.map(\.statistics) }
    var shutdownKey: String? { runtime.shutdownKey?.value }
    /// Whether the run observes requests (callbacks or an active tracer); false means no per-request observation.
    var isObserved: Bool { runtime.observer != nil }
    /// Whether the run keeps request heads' trace context fields (an active tracer).
    var tracesRequests: Bool { runtime.tracesRequests }

    private func finish() {
        let first = ended.withLock { ended -> Bool in
            defer { ended = true }
            return !ended
        }
        if first {
            runtime.joinCoordinator()
            onEnd()
        }
    }
}
