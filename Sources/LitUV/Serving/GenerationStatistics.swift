import Synchronization

/// The counters of one continuous-batching endpoint (``ContinuousBatchEngine``): sequences active and waiting,
/// tokens generated, and how long each step took. Written by the step thread, read by `/metrics` and the tests.
final class GenerationStatistics: Sendable {
    /// Upper bounds of ``stepDuration``, in seconds.
    static let stepDurationBounds: [Double] = [
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1,
    ]

    /// Seconds per `step` call.
    let stepDuration: Histogram
    private let active = Atomic<Int>(0)
    private let largest = Atomic<Int>(0)
    private let tokens = Atomic<Int>(0)
    private let steps = Atomic<Int>(0)

    /// - Parameter metricsEnabled: False: the histogram drops its observations (the counters are kept).
    init(metricsEnabled: Bool = true) {
        stepDuration = Histogram(bounds: Self.stepDurationBounds, scale: 1e6, isEnabled: metricsEnabled)
    }

    /// Step thread: the number of sequences in the batch changed.
    func recordActive(_ count: Int) {
        active.store(count, ordering: .relaxed)
        if count > largest.load(ordering: .relaxed) { largest.store(count, ordering: .relaxed) }
    }

    /// Step thread: one step of `nanoseconds` produced `outputs` outputs.
    func recordStep(nanoseconds: UInt64, outputs: Int) {
        stepDuration.observe(Double(nanoseconds) / 1e9)
        steps.add(1, ordering: .relaxed)
        tokens.add(outputs, ordering: .relaxed)
    }

    /// Step thread: outputs produced outside a step (by a prefill).
    func recordOutputs(_ count: Int) { tokens.add(count, ordering: .relaxed) }

    /// Sequences in the running batch (paused slow readers included).
    var activeCount: Int { active.load(ordering: .relaxed) }
    /// The most sequences that were ever in the batch at once.
    var largestActiveCount: Int { largest.load(ordering: .relaxed) }
    /// Outputs sent so far (one per token for a token-per-step model).
    var tokenCount: Int { tokens.load(ordering: .relaxed) }
    /// `step` calls so far.
    var stepCount: Int { steps.load(ordering: .relaxed) }
}
