import CoreMetrics
import Prometheus
import Synchronization

extension LitServer {
    /// Makes swift-prometheus the process's swift-metrics backend, so that metrics your code creates with
    /// swift-metrics (`Counter(label:)`, `Timer(label:)`, `Gauge(label:)`, …) appear on `/metrics` beside
    /// LitUV's own.
    ///
    /// Bootstraps `MetricsSystem` with a `PrometheusMetricsFactory` over ``metricsRegistry``, unless a backend is
    /// already in place: `MetricsSystem.bootstrap` may be called only once per process, so this call does nothing
    /// when the application (or an earlier call) already bootstrapped one. It is safe to call any number of times,
    /// from any thread, with servers starting and stopping in between.
    ///
    /// ``run(host:port:)`` and ``run()`` call it for you (when ``Configuration/metricsEnabled`` is true), as they
    /// install signal handlers: they own the process. ``start(host:port:)`` and ``start(listeners:)`` leave global
    /// state alone; an application that embeds the server calls this once, early, or bootstraps a backend of its
    /// own. Create metrics after it: one created before any bootstrap stays on swift-metrics' no-op backend.
    ///
    /// - Returns: True if this call bootstrapped the metrics system.
    @discardableResult
    public static func bootstrapMetrics() -> Bool {
        MetricsBackend.bootstrapIfUnset()
    }

    /// The swift-prometheus registry that ``bootstrapMetrics()`` connects to swift-metrics (swift-prometheus's
    /// `PrometheusMetricsFactory.defaultRegistry`). `/metrics` renders its series after LitUV's own, also when you
    /// register metrics on it directly.
    public static var metricsRegistry: PrometheusCollectorRegistry {
        PrometheusMetricsFactory.defaultRegistry
    }
}

/// The process-wide side of metrics: the one-time bootstrap, and which backend the application's metrics go to.
enum MetricsBackend {
    /// Where swift-metrics sends the metrics that code creates, seen when a run starts.
    enum Application: Sendable {
        /// Nothing was bootstrapped: swift-metrics' no-op backend. `/metrics` still shows
        /// ``LitServer/metricsRegistry`` (metrics registered on it directly).
        case none
        /// swift-prometheus (`PrometheusMetricsFactory`) over this registry: `/metrics` shows it.
        case prometheus(PrometheusCollectorRegistry)
        /// Another backend (OpenTelemetry, StatsD, a test backend, …): LitUV also publishes its own series there;
        /// `/metrics` shows LitUV's own series only.
        case other(any MetricsFactory)
    }

    /// True once LitUV bootstrapped the metrics system (the check and the bootstrap happen under this lock, so two
    /// servers starting at once bootstrap once).
    private static let bootstrapped = Mutex(false)

    static func bootstrapIfUnset() -> Bool {
        bootstrapped.withLock { done in
            guard !done, MetricsSystem.factory is NOOPMetricsHandler else { return false }
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: PrometheusMetricsFactory.defaultRegistry))
            done = true
            return true
        }
    }

    /// The backend of the calling context: a task-local factory (`withMetricsFactory`) if one is bound, else the
    /// bootstrapped one.
    static var application: Application {
        let factory = MetricsSystem.factory
        if factory is NOOPMetricsHandler { return .none }
        if let prometheus = factory as? PrometheusMetricsFactory { return .prometheus(prometheus.registry) }
        return .other(factory)
    }
}
