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

    func start(onSetupFailure: @escaping @Sendable (any Error) -> Void) throws(LitServerError) {
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
        guard queue.tryEnqueue(job) else { return false }
        parker.unpark()
        return true
    }

    var isReady: Bool { readyWorkers.load(ordering: .acquiring) == settings.workerCount }

    var isHealthy: Bool {
        guard isReady else { return false }
        return readyCopies.withLock { copies in copies.allSatisfy { engine.isHealthy($0) } }
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
        while collector.next(into: &batch, shouldStop: { stopping.load(ordering: .sequentiallyConsistent) }) {
            statistics.recordBatch(size: batch.count)
            engine.run(batch, on: api)
        }
        engine.teardown(&api)
    }
}

/// Maps errors thrown by hooks to answers: ``HTTPError`` keeps its status and detail, a ``JSONError`` from decoding
/// the body is 400, anything else is logged and answered 500 without its message.
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

/// Serves a ``LitAPI``: decode each body, `predict(batch:)`, encode each output.
struct PredictEngine<API: LitAPI>: BatchEngine {
    let prototype: API
    let errors: ErrorAnswers

    func setup(_ api: inout API, device: Device) throws { try api.setup(device: device) }
    func isHealthy(_ api: API) -> Bool { api.health() }
    func teardown(_ api: inout API) { api.teardown() }

    func run(_ batch: [Job], on api: API) {
        var inputs: [API.Input] = []
        var owners: [Job] = []
        inputs.reserveCapacity(batch.count)
        owners.reserveCapacity(batch.count)
        for job in batch {
            do {
                let request = try LitJSON.decode(API.Request.self, from: job.body)
                inputs.append(try api.decodeRequest(request, context: job.context))
                owners.append(job)
            } catch {
                job.finish(errors.response(for: error, hook: "decodeRequest"))
            }
        }
        guard !inputs.isEmpty else { return }
        let outputs: [API.Output]
        do {
            outputs = try api.predict(batch: inputs)
        } catch {
            let answer = errors.response(for: error, hook: "predict")
            for job in owners { job.finish(answer) }
            return
        }
        guard outputs.count == owners.count else {
            errors.logger.error(
                "\(errors.name): predict(batch:) returned \(outputs.count) outputs for \(owners.count) inputs"
            )
            let answer = HTTPResponse.error(.internalServerError, "Batch size mismatch")
            for job in owners { job.finish(answer) }
            return
        }
        // An index loop: `zip` over generic arrays runs unspecialised here and costs ~5,000 instructions a request.
        for index in owners.indices {
            do {
                let body = try LitJSON.encode(try api.encodeResponse(outputs[index]))
                owners[index].finish(HTTPResponse(status: .ok, contentType: .json, body: body))
            } catch {
                owners[index].finish(errors.response(for: error, hook: "encodeResponse"))
            }
        }
    }
}
