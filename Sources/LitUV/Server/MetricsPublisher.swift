import CoreMetrics
import Prometheus
import Synchronization

/// LitUV's own metrics of one run, as swift-metrics objects.
///
/// The request path only adds to atomics (`RequestStatistics`, `EndpointStatistics`); this type turns them into
/// swift-metrics counters and gauges when they are *published*: at every `/metrics` scrape, and, when the application
/// bootstrapped a backend other than swift-prometheus, once a second on the `lituv-metrics` thread and once more
/// when the run ends. A counter gets the increase since the last publication, a gauge its current value. The
/// objects are created with a factory that writes LitUV's series into the run's own swift-prometheus registry (what
/// `/metrics` renders), multiplexed with the application's backend when there is one. Histograms are the exception:
/// swift-metrics has no way to hand over an aggregated histogram, so LitUV keeps its lock-free one for `/metrics` and
/// sends each observation to the application's backend as it happens (only when there is one).
final class MetricsPublisher: Sendable {
    /// How often the `lituv-metrics` thread publishes to an application's backend.
    static let interval: Duration = .seconds(1)

    /// The `# HELP` text of each of LitUV's series.
    static let help: [String: String] = [
        "lituv_requests_total": "Requests answered, by route and status.",
        "lituv_in_flight_requests": "Predictions queued or running.",
        "lituv_open_connections": "Open client connections.",
        "lituv_tls_handshake_failures_total": "Failed or timed-out TLS handshakes.",
        "lituv_refused_connections_total": "Connections closed at once: maxConnections were open.",
        "lituv_queue_depth": "Requests waiting for a worker.",
        "lituv_dropped_requests_total": "Requests dropped before predict (client gone or timed out).",
        "lituv_batch_size": "Requests per predict(batch:) call.",
        "lituv_request_duration_seconds": "Arrival to answer of predictions.",
        "lituv_active_sequences": "Sequences in the running continuous batch.",
        "lituv_waiting_sequences": "Requests waiting to join the continuous batch.",
        "lituv_generated_tokens_total": "Outputs (tokens) sent by continuous-batching endpoints.",
        "lituv_step_duration_seconds": "Duration of one step(states) call of a continuous batch.",
    ]

    let isEnabled: Bool
    /// This run's series, in swift-prometheus (rendered by `/metrics`).
    let registry = PrometheusCollectorRegistry()
    /// The application's backend when the run was created.
    let application: MetricsBackend.Application
    /// LitUV's counters and gauges are created with this factory.
    private let factory: any MetricsFactory
    private let inFlight: CoreMetrics.Gauge
    private let connections: CoreMetrics.Gauge
    private let tlsHandshakeFailures: CoreMetrics.Counter
    /// The connection limit (``LitServer/Configuration/maxConnections``).
    private let refusedConnections: CoreMetrics.Counter
    private let state = Mutex(State())
    private let thread = Mutex<NativeThread?>(nil)
    private let stopping = Atomic<Bool>(false)
    private let wakeUp = Parker()

    /// What has been published: the counters created so far and the values they were given.
    private struct State {
        /// By `RequestStatistics` series index; a series appears once it has counted something.
        var requests: [Int: (counter: CoreMetrics.Counter, published: Int)] = [:]
        var tlsHandshakeFailures = 0
        var refusedConnections = 0
        /// By endpoint index.
        var endpoints: [EndpointSeries] = []
    }

    /// The queue depth gauge and the drop counter of one endpoint.
    private struct EndpointSeries {
        let queueDepth: CoreMetrics.Gauge
        let dropped: CoreMetrics.Counter
        var droppedPublished = 0
    }

    /// - Parameters:
    ///   - isEnabled: ``LitServer/Configuration/metricsEnabled``.
    ///   - application: Where the application's metrics go (``MetricsBackend/application`` when the run starts).
    init(isEnabled: Bool, application: MetricsBackend.Application) {
        self.isEnabled = isEnabled
        self.application = application
        let own = OwnSeriesFactory(registry: registry)
        if case .other(let backend) = application, isEnabled {
            factory = MultiplexMetricsHandler(factories: [own, backend])
        } else {
            factory = own
        }
        inFlight = CoreMetrics.Gauge(label: "lituv_in_flight_requests", factory: factory)
        connections = CoreMetrics.Gauge(label: "lituv_open_connections", factory: factory)
        tlsHandshakeFailures = CoreMetrics.Counter(label: "lituv_tls_handshake_failures_total", factory: factory)
        refusedConnections = CoreMetrics.Counter(label: "lituv_refused_connections_total", factory: factory)
    }

    /// The statistics of the endpoint served at `path` (call once per endpoint, in the router's order): its
    /// histograms also feed the application's backend when it is neither none nor swift-prometheus.
    func endpointStatistics(path: String) -> EndpointStatistics {
        let dimensions = [("path", path)]
        state.withLock { state in
            state.endpoints.append(
                EndpointSeries(
                    queueDepth: CoreMetrics.Gauge(label: "lituv_queue_depth", dimensions: dimensions, factory: factory),
                    dropped: CoreMetrics.Counter(
                        label: "lituv_dropped_requests_total",
                        dimensions: dimensions,
                        factory: factory
                    )
                )
            )
        }
        guard isEnabled, case .other(let backend) = application else {
            return EndpointStatistics(metricsEnabled: isEnabled)
        }
        return EndpointStatistics(
            metricsEnabled: true,
            batchSizeSink: RecorderSink(
                recorder: CoreMetrics.Recorder(
                    label: "lituv_batch_size",
                    dimensions: dimensions,
                    aggregate: true,
                    factory: backend
                )
            ),
            latencySink: TimerSink(
                timer: CoreMetrics.Timer(
                    label: "lituv_request_duration_seconds",
                    dimensions: dimensions,
                    factory: backend
                )
            )
        )
    }

    /// Publishes the run's counts into the swift-metrics objects: counters get their increase since the last call,
    /// gauges their current value. Any thread; calls are serialised.
    /// - Parameters:
    ///   - requests: The run's request counters.
    ///   - inFlight: Predictions queued or running.
    ///   - endpoints: Each endpoint's queue depth and dropped requests, in the order of ``endpointStatistics(path:)``.
    func publish(requests: RequestStatistics, inFlight: Int, endpoints: [(queueDepth: Int, dropped: Int)]) {
        guard isEnabled else { return }
        state.withLock { state in
            for index in 0..<requests.seriesCount {
                let count = requests.count(at: index)
                guard count > 0 else { continue }
                if let (counter, published) = state.requests[index] {
                    if count > published {
                        counter.increment(by: count - published)
                        state.requests[index] = (counter, count)
                    }
                } else {
                    let labels = requests.labels(at: index)
                    let counter = CoreMetrics.Counter(
                        label: "lituv_requests_total",
                        dimensions: [("route", labels.route), ("status", labels.status)],
                        factory: factory
                    )
                    counter.increment(by: count)
                    state.requests[index] = (counter, count)
                }
            }
            let failures = requests.tlsHandshakeFailures.load(ordering: .relaxed)
            if failures > state.tlsHandshakeFailures {
                tlsHandshakeFailures.increment(by: failures - state.tlsHandshakeFailures)
                state.tlsHandshakeFailures = failures
            }
            let refused = requests.refusedConnections.load(ordering: .relaxed)
            if refused > state.refusedConnections {
                refusedConnections.increment(by: refused - state.refusedConnections)
                state.refusedConnections = refused
            }
            self.inFlight.record(inFlight)
            connections.record(requests.connections.load(ordering: .relaxed))
            for (index, endpoint) in endpoints.enumerated() where index < state.endpoints.count {
                state.endpoints[index].queueDepth.record(endpoint.queueDepth)
                let published = state.endpoints[index].droppedPublished
                if endpoint.dropped > published {
                    state.endpoints[index].dropped.increment(by: endpoint.dropped - published)
                    state.endpoints[index].droppedPublished = endpoint.dropped
                }
            }
        }
    }

    // MARK: Publishing to an application's backend

    /// Starts the `lituv-metrics` thread when the application's backend is neither none nor swift-prometheus (those
    /// are read at scrape time, so nothing needs pushing). It calls `publish` every ``interval``.
    /// - Throws: `ThreadCreationError` when the thread cannot be created.
    func startPublishing(_ publish: @escaping @Sendable () -> Void) throws(ThreadCreationError) {
        guard isEnabled, case .other = application else { return }
        let spawned = try NativeThread.spawn(name: "lituv-metrics") { [self] in
            while !wakeUp.wait(
                until: ContinuousClock.now + Self.interval,
                for: { stopping.load(ordering: .acquiring) }
            ) {
                publish()
            }
        }
        thread.withLock { $0 = spawned }
    }

    /// Stops the `lituv-metrics` thread, if it runs, and publishes one last time (so the backend sees the run's
    /// final counts). Idempotent.
    func stopPublishing(_ publish: () -> Void) {
        let running = thread.withLock { thread in
            defer { thread = nil }
            return thread
        }
        guard let running else { return }
        stopping.store(true, ordering: .releasing)
        wakeUp.unpark()
        running.join()
        publish()
    }
}

/// Creates LitUV's own series in a run's registry, with their `# HELP` text; what LitUV itself does not create
/// goes to swift-prometheus's ordinary factory over the same registry.
private struct OwnSeriesFactory: MetricsFactory {
    let registry: PrometheusCollectorRegistry

    private var prometheus: PrometheusMetricsFactory { PrometheusMetricsFactory(registry: registry) }

    private func descriptor(_ label: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: label, unitName: "", helpText: MetricsPublisher.help[label] ?? "")
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        prometheus.makeFloatingPointCounter(label: label, dimensions: dimensions)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard !aggregate else { return prometheus.makeRecorder(label: label, dimensions: dimensions, aggregate: true) }
        return registry.makeGauge(descriptor: descriptor(label), labels: dimensions)
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(descriptor: descriptor(label), labels: dimensions)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        prometheus.makeTimer(label: label, dimensions: dimensions)
    }

    func destroyCounter(_ handler: any CounterHandler) { prometheus.destroyCounter(handler) }
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        prometheus.destroyFloatingPointCounter(handler)
    }
    func destroyRecorder(_ handler: any RecorderHandler) { prometheus.destroyRecorder(handler) }
    func destroyMeter(_ handler: any MeterHandler) { prometheus.destroyMeter(handler) }
    func destroyTimer(_ handler: any TimerHandler) { prometheus.destroyTimer(handler) }
}

/// Batch sizes to an application's backend: a swift-metrics `Recorder` (aggregating).
private final class RecorderSink: ObservationSink {
    let recorder: CoreMetrics.Recorder
    init(recorder: CoreMetrics.Recorder) { self.recorder = recorder }
    func record(_ value: Double) { recorder.record(value) }
}

/// Latencies to an application's backend: a swift-metrics `Timer`, in nanoseconds.
private final class TimerSink: ObservationSink {
    let timer: CoreMetrics.Timer
    init(timer: CoreMetrics.Timer) { self.timer = timer }
    func record(_ value: Double) { timer.recordNanoseconds(Int64(value * 1e9)) }
}
