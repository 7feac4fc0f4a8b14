import Logging

#if canImport(Glibc)
import Glibc
#endif

extension LitServer {
    /// Server-wide settings (LitServe's `LitServer(...)` options). Every field has a default.
    public struct Configuration: Sendable {
        /// I/O event loops, each with its own listener (SO_REUSEPORT). Default: the number of cores.
        public var ioThreads: Int
        /// How long a request may take from arrival to answer; past it the client gets 504. nil disables.
        /// Default 30 s.
        public var timeout: Duration?
        /// Request size limits (request line, header block, body). See ``HTTPLimits``.
        public var limits: HTTPLimits
        /// A request head must arrive within this time of its first byte (slowloris guard). Default 10 s.
        public var headerTimeout: Duration
        /// Idle keep-alive connections (and stalled bodies) are closed after this. Default 60 s.
        public var keepAliveTimeout: Duration
        /// Requests each API's queue holds before new ones are answered 503 with `Retry-After`. Default 8192.
        public var maxQueueDepth: Int
        /// Enables `POST` on ``shutdownPath`` (LitServe's `enable_shutdown_api`). Default false.
        public var enableShutdownAPI: Bool
        /// The shutdown route. Default `/shutdown`.
        public var shutdownPath: String
        /// The shutdown key. nil: read `LIT_SHUTDOWN_API_KEY` when the server starts, else generate one.
        public var shutdownAPIKey: String?
        /// How long a graceful shutdown waits for queued and running predictions. Default 30 s.
        public var drainTimeout: Duration
        /// For load balancers: how long, once a shutdown began, the server keeps accepting and serving while
        /// ``healthcheckPath`` answers 503 and every response closes its connection, before its listeners close and
        /// the drain proceeds. Default 0 (the listeners close at once).
        public var drainDelay: Duration
        /// Reuse a port that another process (an older LitUV with the same port) is listening on, for a hot restart:
        /// both share it (SO_REUSEPORT) until the older one shuts down. Default false: a taken port is an error.
        public var reusePort: Bool
        /// The readiness route (LitServe's `/health`): 503 while starting and from the moment a shutdown begins.
        /// Default `/health`.
        public var healthcheckPath: String
        /// The liveness route (Kubernetes' `/livez`): 200 as long as the process serves, draining included, so an
        /// orchestrator does not kill a server that is finishing its work. nil disables it. Default `/livez`.
        public var livenessPath: String?
        /// The info route. Default `/info`.
        public var infoPath: String
        /// The Prometheus metrics route. Default `/metrics`.
        public var metricsPath: String
        /// Record metrics and serve them on ``metricsPath`` (swift-metrics and swift-prometheus; see
        /// ``LitServer/bootstrapMetrics()``). False: nothing is recorded and ``metricsPath`` answers 404. Default true.
        public var metricsEnabled: Bool
        /// Shown as `model` in `/info` (a JSON object of strings).
        public var modelMetadata: [String: String]?
        /// Watch SIGINT and SIGTERM and shut down gracefully (a second SIGINT stops at once). `run(host:port:)`
        /// turns this on; embedded servers leave signals alone by default.
        public var handleSignals: Bool
        /// Listen backlog. Default 1024.
        public var backlog: Int
        /// The slowest average rate at which a request body may arrive once its grace period has passed (slow-body
        /// attacks such as R.U.D.Y.); a slower body is answered `408` and its connection closes. nil turns the check
        /// off; an endpoint turns it off for its path with ``LitEndpoint/enforcesMinimumBodyDataRate`` (streaming
        /// uploads). Default 240 bytes/s after 5 s (Kestrel's). See ``BodyDataRate``.
        public var minimumBodyDataRate: BodyDataRate?
        /// The most client connections the server keeps open at once, over all its loops and listeners; beyond it a
        /// new connection is accepted and closed at once (counted in `/metrics` as
        /// `lituv_refused_connections_total`) while the open ones are served as usual. nil (the default): no limit.
        public var maxConnections: Int?
        /// Where the server logs. The shutdown key is never written here.
        public var logger: Logger
        /// Serve HTTPS with this certificate and key on the listener of ``LitServer/start(host:port:)`` and
        /// ``LitServer/run(host:port:)``. nil (the default) serves plain HTTP. See ``LitServer/start(listeners:)``
        /// to serve both at once.
        public var tls: TLSConfiguration?
        /// The host ``LitServer/run()`` (the swift-service-lifecycle entry point) listens on. Default `0.0.0.0`.
        public var host: String
        /// The port ``LitServer/run()`` listens on. Default 8000.
        public var port: Int

        // The request pipeline (docs/ARCHITECTURE.md, "The request pipeline"), each step off by default.

        /// The API key every request must carry, as `X-API-Key: <key>` or `Authorization: Bearer <key>` (LitServe's
        /// `LIT_SERVER_API_KEY`); otherwise `401`. nil: `LIT_SERVER_API_KEY` is read when the server starts, and no
        /// key is required when it is unset or empty. Compared as keyed digests in constant time; never logged.
        public var apiKey: String?
        /// Paths that need no API key. nil (the default): the probes, ``healthcheckPath``, ``livenessPath`` and
        /// ``metricsPath``. The shutdown route never needs it: it has its own key.
        public var apiKeyExemptPaths: [String]?
        /// Give every request an id: the client's `X-Request-Id` when valid, else a generated one; sent back as
        /// `X-Request-Id`, in the hooks' ``RequestContext``, the access log and `{"detail": ...}` error bodies (as
        /// `request_id`). Default false.
        public var requestIDs: Bool
        /// Cross-origin requests from browsers (``CORSPolicy``). nil (the default): no CORS field is sent.
        public var cors: CORSPolicy?
        /// Gzip whole answers whose content is text or JSON (``ResponseCompression``: 1000 bytes or more, level 1,
        /// by default) when the client's `Accept-Encoding` allows it, as LitServe's GZip middleware does; streams
        /// are not compressed. nil (the default): no compression.
        public var compression: ResponseCompression?
        /// Host names a request's `Host` may name (`api.example.com`, `*.example.com`, `127.0.0.1`); others are
        /// answered `400`. nil (the default): any host.
        public var trustedHosts: [String]?
        /// One structured line per answered request on ``logger`` at `info` level: request id, method, path,
        /// status, bytes, latency and queue wait. Default false.
        public var accessLog: Bool
        /// Request interceptors run in order on the I/O loop after the built-in steps (``LitMiddleware``).
        public var middleware: [any LitMiddleware]
        /// Hooks told about the server's start and stop and each request's stages, in order (``LitCallback``).
        /// Default none: then no request is timed or observed.
        public var callbacks: [any LitCallback]

        /// Creates a configuration; every parameter has LitServe's default, or the one in docs/ARCHITECTURE.md
        /// ("Limits and bad input", "Shutdown").
        public init(
            ioThreads: Int? = nil,
            timeout: Duration? = .seconds(30),
            limits: HTTPLimits = HTTPLimits(),
            headerTimeout: Duration = .seconds(10),
            keepAliveTimeout: Duration = .seconds(60),
            maxQueueDepth: Int = 8192,
            enableShutdownAPI: Bool = false,
            shutdownPath: String = "/shutdown",
            shutdownAPIKey: String? = nil,
            drainTimeout: Duration = .seconds(30),
            drainDelay: Duration = .zero,
            reusePort: Bool = false,
            healthcheckPath: String = "/health",
            livenessPath: String? = "/livez",
            infoPath: String = "/info",
            metricsPath: String = "/metrics",
            metricsEnabled: Bool = true,
            modelMetadata: [String: String]? = nil,
            handleSignals: Bool = false,
            backlog: Int = 1024,
            minimumBodyDataRate: BodyDataRate? = BodyDataRate(),
            maxConnections: Int? = nil,
            logger: Logger = Logger(label: "lituv"),
            host: String = "0.0.0.0",
            port: Int = 8000,
            tls: TLSConfiguration? = nil,
            apiKey: String? = nil,
            apiKeyExemptPaths: [String]? = nil,
            requestIDs: Bool = false,
            cors: CORSPolicy? = nil,
            compression: ResponseCompression? = nil,
            trustedHosts: [String]? = nil,
            accessLog: Bool = false,
            middleware: [any LitMiddleware] = [],
            callbacks: [any LitCallback] = []
        ) {
            self.apiKey = apiKey
            self.apiKeyExemptPaths = apiKeyExemptPaths
            self.requestIDs = requestIDs
            self.cors = cors
            self.compression = compression
            self.trustedHosts = trustedHosts
            self.accessLog = accessLog
            self.middleware = middleware
            self.callbacks = callbacks
            self.tls = tls
            self.host = host
            self.port = port
            self.ioThreads = ioThreads ?? LitServer.Configuration.coreCount
            self.timeout = timeout
            self.limits = limits
            self.headerTimeout = headerTimeout
            self.keepAliveTimeout = keepAliveTimeout
            self.maxQueueDepth = maxQueueDepth
            self.enableShutdownAPI = enableShutdownAPI
            self.shutdownPath = shutdownPath
            self.shutdownAPIKey = shutdownAPIKey
            self.drainTimeout = drainTimeout
            self.drainDelay = drainDelay
            self.reusePort = reusePort
            self.healthcheckPath = healthcheckPath
            self.livenessPath = livenessPath
            self.infoPath = infoPath
            self.metricsPath = metricsPath
            self.metricsEnabled = metricsEnabled
            self.modelMetadata = modelMetadata
            self.handleSignals = handleSignals
            self.backlog = backlog
            self.minimumBodyDataRate = minimumBodyDataRate
            self.maxConnections = maxConnections
            self.logger = logger
        }

        /// The number of online cores.
        public static var coreCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
    }
}

extension LitServer {
    /// One listening address, plain HTTP or HTTPS.
    public struct Listener: Sendable {
        /// The address to listen on.
        public var host: String
        /// The port; 0 picks a free one.
        public var port: Int
        /// HTTPS settings, or nil for plain HTTP.
        public var tls: TLSConfiguration?

        /// Creates a listener description.
        public init(host: String = "127.0.0.1", port: Int, tls: TLSConfiguration? = nil) {
            self.host = host
            self.port = port
            self.tls = tls
        }
    }
}
