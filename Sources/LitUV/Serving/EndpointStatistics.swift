import Synchronization

/// Counters of one endpoint: batches formed, latency, drops.
final class EndpointStatistics: Sendable {
    let batchSizes = Histogram(bounds: [1, 2, 4, 8, 16, 32, 64, 128, 256])
    let latency = Histogram(
        bounds: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
        scale: 1e6
    )
    private let batches = Atomic<Int>(0)
    private let largest = Atomic<Int>(0)
    private let predicted = Atomic<Int>(0)
    /// Requests dropped before `predict` because they were cancelled or expired while queued.
    private let skipped = Atomic<Int>(0)

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
