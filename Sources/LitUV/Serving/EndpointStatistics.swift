import Synchronization

/// Counters of one endpoint: batches formed, latency, drops.
final class EndpointStatistics: Sendable {
    /// Upper bounds of ``batchSizes`` (requests per `predict(batch:)` call).
    static let batchSizeBounds: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256]
    /// Upper bounds of ``latency``, in seconds.
    static let latencyBounds: [Double] = [
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
    ]

    let batchSizes: Histogram
    let latency: Histogram
    private let batches = Atomic<Int>(0)
    private let largest = Atomic<Int>(0)
    private let predicted = Atomic<Int>(0)
    /// Requests dropped before `predict` because they were cancelled or expired while queued.
    private let skipped = Atomic<Int>(0)

    /// - Parameters:
    ///   - metricsEnabled: False: the two histograms drop their observations (metrics off). The plain counters
    ///     below are kept either way (the server's own bookkeeping and tests read them).
    ///   - batchSizeSink: Also receives every batch size (the application's metrics backend), or nil.
    ///   - latencySink: Also receives every latency in seconds (the application's metrics backend), or nil.
    init(
        metricsEnabled: Bool = true,
        batchSizeSink: (any ObservationSink)? = nil,
        latencySink: (any ObservationSink)? = nil
    ) {
        batchSizes = Histogram(bounds: Self.batchSizeBounds, isEnabled: metricsEnabled, sink: batchSizeSink)
        latency = Histogram(bounds: Self.latencyBounds, scale: 1e6, isEnabled: metricsEnabled, sink: latencySink)
    }

    func recordBatch(size: Int) {
        batchSizes.observe(Double(size))
        batches.add(1, ordering: .relaxed)
        predicted.add(size, ordering: .relaxed)
        var current = largest.load(ordering: .relaxed)
        while size > current {
            let (exchanged, original) = largest.compareExchange(expected: current, desired: size, ordering: .relaxed)
            if exchanged { break }
            current = original
        }
    }

    func recordSkipped() { skipped.add(1, ordering: .relaxed) }

    /// Batches given to `predict(batch:)` so far.
    var batchCount: Int { batches.load(ordering: .relaxed) }
    /// The largest batch so far.
    var largestBatch: Int { largest.load(ordering: .relaxed) }
    /// Requests given to `predict` so far.
    var predictedCount: Int { predicted.load(ordering: .relaxed) }
    /// Requests dropped before `predict` (client gone or deadline passed while queued).
    var skippedCount: Int { skipped.load(ordering: .relaxed) }
}
