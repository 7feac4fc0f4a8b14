import Synchronization

/// The `Task` that runs one batch of an async API (``LitAsyncAPI``, ``LitAsyncStreamingAPI``), cancelled once every
/// request of the batch is gone (its client left or its deadline passed).
final class BatchTask: Sendable {
    private struct State {
        var task: Task<Void, Never>?
        /// Requests of the batch still wanted.
        var remaining: Int
    }

    private let state: Mutex<State>
    /// The worker's executor, where the task is cancelled.
    private let executor: ThreadTaskExecutor?

    /// - Parameters:
    ///   - requests: The number of requests in the batch.
    ///   - executor: The worker's executor (the task's cancellation handlers run there).
    init(requests: Int, executor: ThreadTaskExecutor?) {
        state = Mutex(State(task: nil, remaining: requests))
        self.executor = executor
    }

    /// Worker side: the batch's task, once created. Cancelled at once if every request left meanwhile.
    func started(_ task: Task<Void, Never>) {
        let cancelNow = state.withLock { state in
            state.task = task
            return state.remaining == 0
        }
        if cancelNow { task.cancel() }
    }

    /// Any thread (the I/O loop, when a request is cancelled): one request of the batch is no longer wanted; the
    /// last one cancels the task.
    ///
    /// The task is cancelled from a new task on the worker's executor rather than here: `Task.cancel()` runs the
    /// task's cancellation handlers (`withTaskCancellationHandler`) on the calling thread, and user code never runs
    /// on an I/O loop.
    func requestGone() {
        let task: Task<Void, Never>? = state.withLock { state in
            state.remaining -= 1
            return state.remaining == 0 ? state.task : nil
        }
        if let task {
            Task(executorPreference: executor) { task.cancel() }
        }
    }
}

/// A job's link to the task that answers it (jobs of async engines only): the loop's ``Job/cancel()`` reaches the
/// task through it, and an async stream waits here for flow-control credit.
final class AsyncJobSlot: Sendable {
    private struct State {
        var batch: BatchTask?
        var cancelled = false
        /// A stream waiting for the loop to take bytes (or to cancel the job).
        var waiter: CheckedContinuation<Void, Never>?
        /// The loop signalled since the last wait began (so a signal between a check and the wait is not lost).
        var signalled = false
        /// A stall timer is scheduled for this job and has not fired yet.
        var timerArmed = false
    }

    private let state = Mutex(State())

    init() {}

    /// Worker side: the job runs in `batch`'s task. If the job was cancelled meanwhile, the batch learns it now.
    func attach(to batch: BatchTask) {
        let cancelled = state.withLock { state in
            state.batch = batch
            return state.cancelled
        }
        if cancelled { batch.requestGone() }
    }

    /// Loop side (``Job/cancel()``): the answer is no longer wanted. Idempotent.
    func cancel() {
        let (batch, waiter): (BatchTask?, CheckedContinuation<Void, Never>?) = state.withLock { state in
            guard !state.cancelled else { return (nil, nil) }
            state.cancelled = true
            state.signalled = true
            defer { state.waiter = nil }
            return (state.batch, state.waiter)
        }
        waiter?.resume()
        batch?.requestGone()
    }

    /// Loop side: streamed bytes reached the kernel; a stream waiting for credit checks again.
    func signal() {
        let waiter = state.withLock { state in
            state.signalled = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Task side: true if no stall timer is pending for this job (it is then marked pending: the caller schedules
    /// one, whose action calls ``timerFired()``).
    func armTimer() -> Bool {
        state.withLock { state in
            defer { state.timerArmed = true }
            return !state.timerArmed
        }
    }

    /// The stall timer fired: a waiting stream checks its deadline.
    func timerFired() {
        state.withLock { $0.timerArmed = false }
        signal()
    }

    /// Task side: returns after the next ``signal()`` or ``cancel()`` (at once if one came since the last call).
    /// The caller re-checks its condition afterwards.
    func nextSignal() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state in
                if state.signalled {
                    state.signalled = false
                    return true
                }
                state.waiter = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }
}
