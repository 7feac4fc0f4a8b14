/// What a predict worker does with its own copy of an API: set it up, run batches on it, check its health, tear
/// it down. ``PredictEngine`` serves a ``LitAPI``; ``StreamingEngine`` a ``LitStreamingAPI``.
protocol BatchEngine: Sendable {
    associatedtype API: Sendable
    var prototype: API { get }
    func setup(_ api: inout API, device: Device) throws
    func isHealthy(_ api: API) -> Bool
    func teardown(_ api: inout API)
    /// Answers every job of `batch` exactly once.
    func run(_ batch: [Job], on api: API)
    /// Whether `run` finishes jobs without waking their loops (`Job.finish(_:wakeLoop: false)`), leaving the
    /// wake-ups to the worker (``LoopWakeups``). Streaming engines wake at once: tokens must not wait.
    var defersLoopWakeups: Bool { get }
    /// Whether `run` streams answers with flow control (its jobs need a ``Job/creditWaiter``).
    var streamsOutput: Bool { get }
    /// Whether `run` starts a task and returns before its jobs are answered (its jobs need an ``Job/asyncSlot``).
    var runsAsync: Bool { get }
}

extension BatchEngine {
    var runsAsync: Bool { false }
}
