import Logging
import Synchronization

/// What the server asks of a continuous-batching endpoint beyond a ``PredictPool``: its counters for `/metrics`,
/// and the parker its jobs' loops wake (every job's ``Job/creditWaiter``).
protocol GenerativePool: PredictPool {
    /// Active sequences, tokens, step durations.
    var generation: GenerationStatistics { get }
    /// Woken by a loop when a job is cancelled or its streamed bytes reach the kernel.
    var creditWaiter: Parker { get }
}

/// Serves a ``LitGenerativeAPI`` with continuous batching: one step thread (`lituv-gen`) per endpoint, fed by the
/// endpoint's bounded queue.
///
/// Before every step the thread admits waiting requests while the model has capacity (decode, `prefill`), then ends
/// the sequences whose client left, whose deadline passed or whose client has not read for the stall timeout, and
/// steps every other sequence whose client keeps up (a slow reader's sequence waits, the batch does not). Each
/// output goes to its stream at once (the loops are woken once per step). With nothing to step the thread sleeps on
/// its ``Parker``, woken by a loop when a request is queued (``wakeWorkers()``), a client leaves (``Job/cancel()``)
/// or streamed bytes reach the kernel (``Job/streamBytesDelivered(_:)``), or at the next deadline or stall timeout.
final class ContinuousBatchEngine<Model: LitGenerativeAPI, Codec: StreamingCodec>: GenerativePool
where Codec.API == GenerativeStreams<Model> {
    private let prototype: Model
    private let codec: Codec
    private let settings: LitEndpointSettings
    private let logger: Logger
    private let statistics: EndpointStatistics
    let generation: GenerationStatistics
    private let queue: BoundedMPMCQueue<Job>
    let creditWaiter = Parker()
    private let stopping = Atomic<Bool>(false)
    private let ready = Atomic<Bool>(false)
    /// The step thread's copy after `setup`, for `health()` checks from the loops.
    private let readyCopy = Mutex<Model?>(nil)
    private let thread = Mutex<NativeThread?>(nil)
    private let alive = Atomic<Int>(0)

    init(prototype: Model, codec: Codec, context: EndpointContext) {
        self.prototype = prototype
        self.codec = codec
        settings = context.endpoint
        logger = context.logger
        statistics = context.statistics
        generation = GenerationStatistics(metricsEnabled: context.statistics.latency.isEnabled)
        queue = BoundedMPMCQueue(capacity: context.queueCapacity)
    }

    func start(onSetupFailure: @escaping @Sendable (any Error) -> Void) throws(ThreadCreationError) {
        alive.add(1, ordering: .relaxed)
        do {
            let spawned = try NativeThread.spawn(name: "lituv-gen") { [self] in
                self.run(onSetupFailure: onSetupFailure)
                self.alive.subtract(1, ordering: .releasing)
            }
            thread.withLock { $0 = spawned }
        } catch {
            alive.subtract(1, ordering: .relaxed)
            throw error
        }
    }

    var streamsOutput: Bool { true }
    var runsAsync: Bool { false }

    func submit(_ job: Job) -> Bool { queue.tryEnqueue(job) }

    func wakeWorkers() {
        if queue.approximateCount > 0 { creditWaiter.unpark() }
    }

    var isReady: Bool { ready.load(ordering: .acquiring) }

    var isHealthy: Bool {
        guard isReady else { return false }
        return readyCopy.withLock { $0?.health() ?? false }
    }

    var queueDepth: Int { queue.approximateCount }

    var liveWorkerCount: Int { alive.load(ordering: .acquiring) }

    func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        creditWaiter.unparkAll()
    }

    func drainQueue() -> [Job] {
        var jobs: [Job] = []
        while let job = queue.tryDequeue() { jobs.append(job) }
        return jobs
    }

    func join() {
        let running = thread.withLock { thread in
            defer { thread = nil }
            return thread
        }
        running?.join()
    }

    /// Keeps the set-up copy (for `health()`). Never inlined, like `WorkerPool`'s: `.tsan-suppressions` names it
    /// (ThreadSanitizer does not model the futex inside `Mutex`).
    @inline(never)
    private func recordReadyCopy(_ model: Model) {
        readyCopy.withLock { $0 = model }
    }

    // MARK: The step loop

    private func run(onSetupFailure: @Sendable (any Error) -> Void) {
        var model = prototype
        let device = Device(kind: "cpu", index: 0)
        do {
            try model.setup(device: device)
        } catch {
            logger.error("setup failed for \(settings.name) on \(device): \(error)")
            onSetupFailure(error)
            return
        }
        recordReadyCopy(model)
        ready.store(true, ordering: .releasing)

        var batch = ContinuousBatch(
            model: model,
            framing: GenerativeFraming(codec: codec, errors: ErrorAnswers(name: settings.name, logger: logger)),
            maxQueuedBytes: settings.maxQueuedStreamBytes,
            stallTimeout: settings.streamStallTimeoutNanoseconds,
            statistics: generation
        )
        while true {
            let now = Monotonic.nanoseconds()
            while batch.hasCapacity, let job = queue.tryDequeue() { batch.admit(job, now: now) }
            let runnable = batch.prune(now: now)
            generation.recordActive(batch.count)
            if runnable > 0 {
                let started = Monotonic.nanoseconds()
                let sent = batch.step(runnable: runnable)
                generation.recordStep(nanoseconds: Monotonic.nanoseconds() &- started, outputs: sent)
                statistics.batchSizes.observe(Double(runnable))
                batch.framing.wakeLoops()
                generation.recordActive(batch.count)
                continue
            }
            batch.framing.wakeLoops()
            let isStopping = stopping.load(ordering: .sequentiallyConsistent)
            if isStopping && batch.isEmpty && queue.approximateCount == 0 { break }
            park(batch)
        }
        batch.teardown()
    }

    /// Sleeps until a loop has something for the step loop (a request to admit while there is room, a client that
    /// left or read its output, the stop) or until the next deadline or stall timeout.
    private func park(_ batch: ContinuousBatch<Model, Codec>) {
        creditWaiter.prepareToPark()
        let admissible = queue.approximateCount > 0 && batch.hasCapacity
        let stopped = stopping.load(ordering: .sequentiallyConsistent) && batch.isEmpty
        if admissible || stopped || batch.hasWork {
            creditWaiter.cancelPark()
            return
        }
        let wakeAt = batch.nextTimeout.map { limit in
            let now = Monotonic.nanoseconds()
            return ContinuousClock.now + .nanoseconds(Int64(clamping: limit > now ? limit - now : 0))
        }
        creditWaiter.park(until: wakeAt)
    }
}

extension ServedEndpoint {
    /// The counters of a continuous-batching endpoint, nil for others.
    var generation: GenerationStatistics? {
        if case .pooled(let pool) = kind, let generative = pool as? any GenerativePool { return generative.generation }
        return nil
    }
}
