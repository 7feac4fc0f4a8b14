import Synchronization

/// One `/predict` request travelling from an I/O loop to a predict worker and back.
///
/// Its `state` decides who answers: the worker may start it only while it is `queued`; the loop cancels it when
/// the client leaves or its deadline passes, and then answers (504) or drops it itself.
final class Job: PendingResponse, @unchecked Sendable {
    // Invariant for @unchecked Sendable: `body`, `deadline`, `arrival`, `responder` and `completions` are immutable;
    // `result` is written by the one worker that won `tryStart()` before it hands the job to the loop through the
    // completion queue (a release/acquire hand-off) and read only on the loop after that; `state` is atomic.

    enum State: UInt8 {
        case queued, running, cancelled
    }

    let body: [UInt8]
    /// Monotonic nanoseconds at which the request times out (`UInt64.max` for never).
    let deadline: UInt64
    /// Monotonic nanoseconds at which the request was complete (the batch window opens here).
    let arrival: UInt64
    let responder: HTTPResponder
    let completions: CompletionSink
    let statistics: EndpointStatistics
    private let state = Atomic<UInt8>(State.queued.rawValue)
    /// The answer, set by the worker.
    var result: HTTPResponse?

    init(
        body: [UInt8],
        arrival: UInt64,
        deadline: UInt64,
        responder: HTTPResponder,
        completions: CompletionSink,
        statistics: EndpointStatistics
    ) {
        self.statistics = statistics
        self.body = body
        self.arrival = arrival
        self.deadline = deadline
        self.responder = responder
        self.completions = completions
    }

    /// Worker side: claims the job for `predict`. False when it was cancelled or its deadline already passed.
    func tryStart(now: UInt64) -> Bool {
        guard now < deadline else { return false }
        return state.compareExchange(
            expected: State.queued.rawValue,
            desired: State.running.rawValue,
            ordering: .acquiringAndReleasing
        ).exchanged
    }

    /// Loop side: the answer is no longer wanted. A queued job is then skipped by the workers.
    func cancel() {
        state.store(State.cancelled.rawValue, ordering: .releasing)
    }

    var isCancelled: Bool { state.load(ordering: .acquiring) == State.cancelled.rawValue }

    /// Worker side: hands the answer back to the job's loop.
    func finish(_ response: HTTPResponse) {
        result = response
        completions.deliver(self)
    }
}

/// Where finished jobs go: the owning loop's completion queue (one wake-up drains many completions).
final class CompletionSink: Sendable {
    private let queue = MPSCQueue<Job>()
    private let loop: EventLoop
    /// Called for each job that was handed over (finished or abandoned) — the server's in-flight accounting.
    private let onSettled: @Sendable () -> Void

    init(loop: EventLoop, onSettled: @escaping @Sendable () -> Void) {
        self.loop = loop
        self.onSettled = onSettled
    }

    /// Any thread: queues a finished job and wakes the loop.
    func deliver(_ job: Job) {
        queue.enqueue(job)
        loop.wake()
    }

    /// Any thread: the job will never be answered by a worker (cancelled or expired before predict).
    func abandon(_ job: Job) {
        job.statistics.recordSkipped()
        onSettled()
    }

    /// Loop thread: writes every finished job's answer.
    func drain() {
        while let job = queue.dequeue() {
            if let result = job.result {
                job.statistics.latency.observe(Double(Monotonic.nanoseconds() &- job.arrival) / 1e9)
                job.responder.complete(result)
            }
            onSettled()
        }
    }
}
