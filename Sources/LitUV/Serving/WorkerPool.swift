import Logging
import Synchronization

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
}

/// The predict workers of one endpoint: W threads, each with its own copy of the API, fed by one bounded
/// lock-free queue, answering through each job's loop.
final class WorkerPool<Engine: BatchEngine>: EndpointRuntime {
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

    private func runWorker(device: Device, onSetupFailure: @Sendable (any Error) -> Void) {
        var api = engine.prototype
        do {
            try engine.setup(&api, device: device)
        } catch {
            logger.error("setup failed for \(settings.name) on \(device): \(error)")
            onSetupFailure(error)
            return
        }
        readyCopies.withLock { $0.append(api) }
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

/// Maps errors thrown by hooks to answers: ``HTTPError`` keeps its status and detail, a ``JSONError`` from decoding
/// the body is 400, anything else is logged and answered 500 without its message.
@usableFromInline
struct ErrorAnswers: Sendable {
    let name: String
    let logger: Logger

    func response(for error: any Error, hook: String) -> HTTPResponse {
        if let httpError = error as? HTTPError {
            let status = (400...599).contains(httpError.status) ? httpError.status : 500
            return .error(HTTPStatus(status), httpError.detail)
        }
        if let jsonError = error as? JSONError {
            return .error(.badRequest, "Invalid request body: \(jsonError.description)")
        }
        logger.error("\(name).\(hook) failed: \(error)")
        return .error(.internalServerError, "Internal server error")
    }
}

/// The loops a worker finished jobs for and has not woken yet. A worker that answers many small requests in a row
/// wakes each loop once for all of them instead of once per answer: on a busy core every wake-up would otherwise
/// preempt the worker and switch threads for a single response. Pending wake-ups are sent before the worker sleeps,
/// after a batch that took ``maxDelay`` or longer (a slow model: a wake-up costs nothing next to it), after
/// ``maxPending`` batches, or once the oldest pending answer is ``maxDelay`` old, whichever comes first.
/// Worker thread only.
struct LoopWakeups {
    static let maxPending = 32
    /// Nanoseconds.
    static let maxDelay: UInt64 = 50_000
    private var sinks: [CompletionSink] = []
    private var pendingBatches = 0
    private var oldest: UInt64 = 0

    init() { sinks.reserveCapacity(4) }

    /// Records the loops of a batch whose answers were queued without a wake-up, and wakes them if it is time.
    /// - Parameter startedAt: Monotonic nanoseconds at which the batch started running.
    mutating func finished(_ batch: [Job], startedAt: UInt64) {
        let now = Monotonic.nanoseconds()
        if pendingBatches == 0 { oldest = now }
        pendingBatches += 1
        for job in batch {
            let sink = job.completions
            if sinks.last === sink { continue }
            var known = false
            for index in sinks.indices where sinks[index] === sink {
                known = true
                break
            }
            if !known { sinks.append(sink) }
        }
        if now &- startedAt >= Self.maxDelay || pendingBatches >= Self.maxPending || now &- oldest >= Self.maxDelay {
            flush()
        }
    }

    /// Wakes every loop with queued answers.
    mutating func flush() {
        guard pendingBatches > 0 else { return }
        for sink in sinks { sink.wakeLoop() }
        sinks.removeAll(keepingCapacity: true)
        pendingBatches = 0
    }
}

/// Serves a ``LitAPI``: decode each body, `predict(batch:)`, encode each output.
struct PredictEngine<API: LitAPI>: BatchEngine {
    let prototype: API
    let errors: ErrorAnswers
    /// ``PredictBatch/run(_:on:errors:)``, specialised for `API` where the endpoint was created.
    let runBatch: @Sendable ([Job], API, ErrorAnswers) -> Void

    func setup(_ api: inout API, device: Device) throws { try api.setup(device: device) }
    func isHealthy(_ api: API) -> Bool { api.health() }
    func teardown(_ api: inout API) { api.teardown() }

    var defersLoopWakeups: Bool { true }

    func run(_ batch: [Job], on api: API) {
        runBatch(batch, api, errors)
    }
}
