import Logging
import Synchronization

/// The queue-fed side of an endpoint whose API runs on predict worker threads (``WorkerPool``, type-erased for
/// ``ServedEndpoint``).
protocol PredictPool: AnyObject, Sendable {
    /// Starts the workers; each runs `setup` on its own thread. Returns at once.
    func start(onSetupFailure: @escaping @Sendable (any Error) -> Void) throws(ThreadCreationError)
    /// Queues a job; false when the queue is full (the caller answers 503). Idle workers are not woken yet: the loop
    /// calls ``wakeWorkers()`` once per iteration, after every request it read in that iteration is queued.
    func submit(_ job: Job) -> Bool
    /// Wakes an idle worker if jobs are queued (it wakes the next one while more remain).
    func wakeWorkers()
    /// Every worker finished `setup` and every copy's `health()` is true.
    var isHealthy: Bool { get }
    /// Every worker finished `setup` (healthy or not).
    var isReady: Bool { get }
    /// Requests waiting in the queue.
    var queueDepth: Int { get }
    /// Worker threads started and not yet finished (0 after ``join()``).
    var liveWorkerCount: Int { get }
    /// Lets workers finish what is queued, then stop (each runs `teardown`).
    func stop()
    /// Takes every job still queued (for the drain timeout).
    func drainQueue() -> [Job]
    /// Waits for the worker threads (teardown has run when this returns).
    func join()
    /// Whether the engine streams answers with flow control (its jobs need a ``Job/creditWaiter``).
    var streamsOutput: Bool { get }
    /// Whether the engine answers from tasks (its jobs need an ``Job/asyncSlot``).
    var runsAsync: Bool { get }
}

/// The predict workers of one endpoint: W threads, each with its own copy of the API, fed by one bounded
/// lock-free queue, answering through each job's loop.
final class WorkerPool<Engine: BatchEngine>: PredictPool {
    private let engine: Engine
    private let settings: LitEndpointSettings
    private let logger: Logger
    private let statistics: EndpointStatistics
    private let queue: BoundedMPMCQueue<Job>
    private let parker = Parker()
    private let stopping = Atomic<Bool>(false)
    private let readyWorkers = Atomic<Int>(0)
    /// Each worker's API copy after `setup`, for `health()` checks from the loops.
    private let readyCopies = Mutex<[Engine.API]>([])
    private let threads = Mutex<[NativeThread]>([])
    private let alive = Atomic<Int>(0)

    init(engine: Engine, context: EndpointContext) {
        self.engine = engine
        settings = context.endpoint
        logger = context.logger
        statistics = context.statistics
        queue = BoundedMPMCQueue(capacity: context.queueCapacity)
    }

    func start(onSetupFailure: @escaping @Sendable (any Error) -> Void) throws(ThreadCreationError) {
        for index in 0..<settings.workerCount {
            let device = Device(kind: "cpu", index: index / settings.workersPerDevice)
            alive.add(1, ordering: .relaxed)
            let thread: NativeThread
            do {
                thread = try NativeThread.spawn(name: "lituv-w\(index)") { [self] in
                    self.runWorker(device: device, onSetupFailure: onSetupFailure)
                    self.alive.subtract(1, ordering: .releasing)
                }
            } catch {
                alive.subtract(1, ordering: .relaxed)
                throw error
            }
            threads.withLock { $0.append(thread) }
        }
    }

    var streamsOutput: Bool { engine.streamsOutput }

    var runsAsync: Bool { engine.runsAsync }

    func submit(_ job: Job) -> Bool {
        queue.tryEnqueue(job)
    }

    func wakeWorkers() {
        if queue.approximateCount > 0 { parker.unpark() }
    }

    var isReady: Bool { readyWorkers.load(ordering: .acquiring) == settings.workerCount }

    var isHealthy: Bool {
        guard isReady else { return false }
        return readyCopies.withLock { copies in
            for index in copies.indices where !engine.isHealthy(copies[index]) { return false }
            return true
        }
    }

    var queueDepth: Int { queue.approximateCount }

    var liveWorkerCount: Int { alive.load(ordering: .acquiring) }

    func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        parker.unparkAll()
    }

    func drainQueue() -> [Job] {
        var jobs: [Job] = []
        while let job = queue.tryDequeue() { jobs.append(job) }
        return jobs
    }

    func join() {
        let all = threads.withLock { threads in
            defer { threads.removeAll() }
            return threads
        }
        for thread in all { thread.join() }
    }

    /// Keeps a worker's set-up copy (for `health()`). Never inlined: ThreadSanitizer does not model the futex inside
    /// `Mutex`, and `.tsan-suppressions` names this function, which an inlined `withLock` frame would not show.
    @inline(never)
    private func recordReadyCopy(_ api: Engine.API) {
        readyCopies.withLock { $0.append(api) }
    }

    private func runWorker(device: Device, onSetupFailure: @Sendable (any Error) -> Void) {
        var api = engine.prototype
        do {
            try engine.setup(&api, device: device)
        } catch {
            logger.error("setup failed for \(settings.name) on \(device): \(error)")
            onSetupFailure(error)
            return
        }
        recordReadyCopy(api)
        readyWorkers.add(1, ordering: .releasing)

        let collector = BatchCollector(
            queue: queue,
            parker: parker,
            maxBatchSize: settings.maxBatchSize,
            batchTimeout: settings.batchTimeoutNanoseconds,
            onSkipped: { job in job.completions.abandon(job) }
        )
        var batch: [Job] = []
        batch.reserveCapacity(settings.maxBatchSize)
        var wakeups = LoopWakeups()
        while collector.next(
            into: &batch,
            shouldStop: { stopping.load(ordering: .sequentiallyConsistent) },
            beforeSleeping: { wakeups.flush() }
        ) {
            statistics.recordBatch(size: batch.count)
            let started = Monotonic.nanoseconds()
            engine.run(batch, on: api)
            if engine.defersLoopWakeups {
                wakeups.finished(batch, startedAt: started)
            }
        }
        wakeups.flush()
        engine.teardown(&api)
    }
}
