import Synchronization

/// A `TaskExecutor` with one thread of its own: every job enqueued on it runs on that thread, in FIFO order.
///
/// A task started with this executor as its preference (`Task(executorPreference:)`) runs there, and so do its child
/// tasks (`async let`, task groups) and every resumption after an `await` that does not need another executor (an
/// actor's code still runs on that actor's executor, and comes back here after). Jobs are handed over through an
/// ``MPSCQueue`` and the thread sleeps in a ``Parker`` when there are none, so an idle executor uses no CPU.
///
/// It also runs timers (``schedule(at:_:)``) on its thread, so that what LitUV itself waits for (a stream's stall
/// timeout) depends on no other thread, the global executor's included.
final class ThreadTaskExecutor: TaskExecutor, @unchecked Sendable {
    // Invariant for @unchecked Sendable: `jobs` and `newTimers` are dequeued only by the executor's own thread (enqueue
    // is safe from any thread), and `timers` is touched only by that thread; `stopping` is atomic; `thread` is behind
    // a mutex.

    private struct Timer {
        let deadline: ContinuousClock.Instant
        let action: @Sendable () -> Void
    }

    private let jobs = MPSCQueue<UnownedJob>()
    private let newTimers = MPSCQueue<Timer>()
    /// The executor thread's pending timers, unordered (at most one per waiting stream).
    private var timers: [Timer] = []
    private let parker = Parker()
    private let stopping = Atomic<Bool>(false)
    private let thread = Mutex<NativeThread?>(nil)

    private init() {}

    /// Starts an executor and its thread.
    /// - Parameter name: The thread's name (at most 15 bytes are kept by Linux).
    static func start(name: String) throws(ThreadCreationError) -> ThreadTaskExecutor {
        let executor = ThreadTaskExecutor()
        let thread = try NativeThread.spawn(name: name) { executor.run() }
        executor.thread.withLock { $0 = thread }
        return executor
    }

    /// Any thread: queues a job for the executor's thread.
    func enqueue(_ job: consuming ExecutorJob) {
        jobs.enqueue(UnownedJob(job))
        parker.unpark()
    }

    /// Any thread: runs `action` on the executor's thread at `deadline` (or soon after). A timer scheduled after
    /// ``stop()`` never runs.
    func schedule(at deadline: ContinuousClock.Instant, _ action: @escaping @Sendable () -> Void) {
        newTimers.enqueue(Timer(deadline: deadline, action: action))
        parker.unpark()
    }

    /// Lets the thread run what is queued, then stop, and waits for it. Jobs enqueued afterwards never run: call it
    /// once no task needs the executor any more.
    func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        parker.unparkAll()
        let thread = self.thread.withLock { thread in
            defer { thread = nil }
            return thread
        }
        thread?.join()
    }

    private func run() {
        let executor = asUnownedTaskExecutor()
        while true {
            if let job = jobs.dequeue() {
                job.runSynchronously(on: executor)
                continue
            }
            if runDueTimers() { continue }
            if stopping.load(ordering: .sequentiallyConsistent) { return }
            parker.prepareToPark()
            if let job = jobs.dequeue() {
                parker.cancelPark()
                job.runSynchronously(on: executor)
                continue
            }
            let next = nextDeadline()
            if stopping.load(ordering: .sequentiallyConsistent) || next.map({ $0 <= .now }) == true {
                parker.cancelPark()
                continue
            }
            parker.park(until: next)
        }
    }

    /// Takes the newly scheduled timers and the earliest deadline of all (executor thread).
    private func nextDeadline() -> ContinuousClock.Instant? {
        while let timer = newTimers.dequeue() { timers.append(timer) }
        var earliest: ContinuousClock.Instant? = nil
        for timer in timers where earliest.map({ timer.deadline < $0 }) ?? true { earliest = timer.deadline }
        return earliest
    }

    /// Runs every timer that is due (executor thread). True if it ran one.
    private func runDueTimers() -> Bool {
        guard nextDeadline() != nil else { return false }
        let now = ContinuousClock.now
        var ran = false
        var index = 0
        while index < timers.count {
            if timers[index].deadline <= now {
                let timer = timers.remove(at: index)
                timer.action()
                ran = true
            } else {
                index += 1
            }
        }
        return ran
    }
}
