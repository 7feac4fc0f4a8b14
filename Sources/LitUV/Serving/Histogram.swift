import Synchronization

/// Where a histogram also sends each observation: the application's swift-metrics backend (a `Recorder` or `Timer`
/// of it, wrapped by the `Server` layer). Called on the thread that observed, for every observation. A class, so that
/// a histogram without one pays a nil check and nothing else (an optional existential of a struct would be copied,
/// with a retain and a release, at every observation).
protocol ObservationSink: AnyObject, Sendable {
    /// One observation, in the histogram's unit (seconds for latency, requests for batch sizes).
    func record(_ value: Double)
}

/// A Prometheus-style histogram with fixed upper bounds: lock-free (one atomic add per bucket hit, one for the
/// sum), so observing costs a few nanoseconds on the request path. swift-prometheus's own histogram takes a lock
/// and walks every bucket (100–130 ns per observation measured here), which is why LitUV aggregates its own and
/// renders it at scrape time (docs/ARCHITECTURE.md, "Metrics").
final class Histogram: Sendable {
    let bounds: [Double]
    private let buckets: AtomicCounters  // one per bound, plus +Inf
    private let sumMicros = Atomic<Int>(0)
    private let scale: Double
    /// False when metrics are off: observations are dropped at once.
    let isEnabled: Bool
    /// The application's backend, when it bootstrapped one other than swift-prometheus; nil otherwise.
    private let sink: (any ObservationSink)?

    /// - Parameters:
    ///   - bounds: Upper bounds, ascending.
    ///   - scale: Multiplier from an observed value to the integer kept in the sum (1e6 for seconds → µs).
    ///   - isEnabled: False drops every observation (metrics off).
    ///   - sink: Also receives every observation (the application's metrics backend), or nil.
    init(bounds: [Double], scale: Double = 1, isEnabled: Bool = true, sink: (any ObservationSink)? = nil) {
        self.bounds = bounds
        self.scale = scale
        self.isEnabled = isEnabled
        self.sink = sink
        buckets = AtomicCounters(count: bounds.count + 1)
    }

    func observe(_ value: Double) {
        guard isEnabled else { return }
        // The first bound not below the value (`bounds.count`: +Inf).
        var index = 0
        let count = bounds.count
        while index < count && value > bounds[index] { index &+= 1 }
        buckets.add(index)
        sumMicros.add(Int(value * scale), ordering: .relaxed)
        if let sink { sink.record(value) }
    }

    /// Observations in each bucket (not cumulative), the last one being +Inf.
    var counts: [Int] { (0...bounds.count).map { buckets.load($0) } }
    var totalCount: Int { counts.reduce(0, +) }
    var sum: Double { Double(sumMicros.load(ordering: .relaxed)) / scale }

    /// Appends the series of this histogram (cumulative `_bucket` lines, `_sum`, `_count`) in the Prometheus text
    /// format 0.0.4; the family's `# HELP`/`# TYPE` lines are the caller's.
    func render(name: String, labels: String, into out: inout String) {
        var cumulative = 0
        let counts = self.counts
        let prefix = labels.isEmpty ? "" : labels + ","
        for (index, bound) in bounds.enumerated() {
            cumulative += counts[index]
            out += "\(name)_bucket{\(prefix)le=\"\(bound)\"} \(cumulative)\n"
        }
        cumulative += counts[bounds.count]
        out += "\(name)_bucket{\(prefix)le=\"+Inf\"} \(cumulative)\n"
        out += "\(name)_sum{\(labels)} \(sum)\n"
        out += "\(name)_count{\(labels)} \(cumulative)\n"
    }
}
