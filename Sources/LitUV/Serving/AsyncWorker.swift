import Synchronization

/// One worker's copy of an async API, with the executor its tasks run on and the bound on them.
struct AsyncWorkerCopy<API: Sendable>: Sendable {
    var api: API
    /// Replaced by a worker's own in `setUp` (the prototype's is never used).
    var limiter: PredictionLimiter
    /// The worker's own executor thread, from `setUp` to `tearDown` (nil in the prototype).
    var executor: ThreadTaskExecutor?

    init(api: API, maxConcurrentPredictions: Int) {
        self.api = api
        limiter = PredictionLimiter(bound: maxConcurrentPredictions)
    }

    /// Worker thread: starts this worker's executor and awaits `setup` on it.
    /// - Parameter setup: The API's `setup`, on a copy that becomes this worker's.
    mutating func setUp(device: Device, _ setup: @escaping @Sendable (inout API) async throws -> Void) throws {
        let executor = try ThreadTaskExecutor.start(name: "lituv-a\(device.index)")
        let api = self.api
        do {
            self.api = try AsyncBridge.wait(on: executor) {
                var api = api
                try await setup(&api)
                return api
            }
        } catch {
            executor.stop()
            throw error
        }
        self.executor = executor
        limiter = PredictionLimiter(bound: limiter.bound)
    }

    /// Worker thread: waits for the worker's last task, awaits `teardown` and stops the executor.
    mutating func tearDown(_ teardown: @escaping @Sendable (inout API) async -> Void) {
        limiter.waitForAll()
        guard let executor else { return }
        let api = self.api
        if let tornDown = try? AsyncBridge.wait(
            on: executor,
            {
                var api = api
                await teardown(&api)
                return api
            }
        ) {
            self.api = tornDown
        }
        executor.stop()
        self.executor = nil
    }

    /// Worker thread: starts `body` as a task on this worker's executor, counted by the limiter, and returns once
    /// the worker may start another (fewer than `maxConcurrentPredictions` of its tasks run).
    func start(_ batch: [Job], _ body: @escaping @Sendable (API) async -> Void) {
        let limiter = self.limiter
        let api = self.api
        let handle = BatchTask(requests: batch.count, executor: executor)
        limiter.began()
        let task = Task(executorPreference: executor) {
            await body(api)
            limiter.ended()
        }
        handle.started(task)
        for job in batch { job.asyncSlot?.attach(to: handle) }
        limiter.waitForRoom()
    }
}

/// Bounds the tasks one worker keeps in flight (``LitEndpoint/maxConcurrentPredictions``): the worker counts a task
/// in before it starts it and, at the bound, sleeps until one ends; the task counts itself out as it ends. The jobs
/// the worker does not take meanwhile wait in the endpoint's queue, where they can still form batches, expire or
/// be answered 503 when it is full.
final class PredictionLimiter: Sendable {
    let bound: Int
    private let running = Atomic<Int>(0)
    private let parker = Parker()

    init(bound: Int) { self.bound = max(bound, 1) }

    /// The number of tasks running now (stale at once; for tests and diagnostics).
    var count: Int { running.load(ordering: .relaxed) }

    /// Worker side: one more task is about to start.
    func began() { running.add(1, ordering: .relaxed) }

    /// Task side: the task ended; a worker waiting for room is woken.
    func ended() {
        running.subtract(1, ordering: .sequentiallyConsistent)
        parker.unpark()
    }

    /// Worker side: sleeps while `bound` tasks run.
    func waitForRoom() { wait { running.load(ordering: .sequentiallyConsistent) < bound } }

    /// Worker side: sleeps until every task ended (before `teardown`).
    func waitForAll() { wait { running.load(ordering: .sequentiallyConsistent) == 0 } }

    private func wait(for condition: () -> Bool) {
        while !condition() {
            parker.prepareToPark()
            if condition() {
                parker.cancelPark()
                return
            }
            parker.park(until: nil)
        }
    }
}

/// Runs async work from a worker thread and waits for it (an async API's `setup` and `teardown`). The worker thread is
/// LitUV's own, not one of the executor's, so blocking it while the task runs elsewhere cannot starve the executor.
enum AsyncBridge {
    /// A task's result on its way to the waiting worker.
    private final class Handoff<T>: @unchecked Sendable {
        // Invariant for @unchecked Sendable: the task writes `result` once, then sets `done` (sequentially consistent,
        // so releasing); the worker reads `result` only after it loaded `done` as true (acquiring). ThreadSanitizer
        // sees that edge, unlike the futex inside `Mutex`.
        var result: Result<T, any Error>?
        let done = Atomic<Bool>(false)
    }

    static func wait<T: Sendable>(
        on executor: ThreadTaskExecutor,
        _ body: @escaping @Sendable () async throws -> T
    ) throws -> T {
        let handoff = Handoff<T>()
        let parker = Parker()
        Task(executorPreference: executor) {
            do { handoff.result = .success(try await body()) } catch { handoff.result = .failure(error) }
            handoff.done.store(true, ordering: .sequentiallyConsistent)
            parker.unpark()
        }
        while !handoff.done.load(ordering: .sequentiallyConsistent) {
            parker.prepareToPark()
            if handoff.done.load(ordering: .sequentiallyConsistent) {
                parker.cancelPark()
                break
            }
            parker.park(until: nil)
        }
        guard let outcome = handoff.result else { throw CancellationError() }
        return try outcome.get()
    }
}

/// Serves a ``LitAsyncAPI``: the worker collects batches as for ``LitAPI`` and starts one task per batch
/// (``AsyncPredictBatch``) on its own executor thread, keeping at most `maxConcurrentPredictions` in flight.
struct AsyncPredictEngine<UserAPI: LitAsyncAPI>: BatchEngine {
    typealias API = AsyncWorkerCopy<UserAPI>
    let prototype: API
    let errors: ErrorAnswers

    init(api: UserAPI, errors: ErrorAnswers, maxConcurrentPredictions: Int) {
        prototype = AsyncWorkerCopy(api: api, maxConcurrentPredictions: maxConcurrentPredictions)
        self.errors = errors
    }

    func setup(_ copy: inout API, device: Device) throws {
        try copy.setUp(device: device) { api in try await api.setup(device: device) }
    }

    func isHealthy(_ copy: API) -> Bool { copy.api.health() }

    func teardown(_ copy: inout API) { copy.tearDown { api in await api.teardown() } }

    var defersLoopWakeups: Bool { false }
    var streamsOutput: Bool { false }
    var runsAsync: Bool { true }

    func run(_ batch: [Job], on copy: API) {
        let errors = errors
        copy.start(batch) { api in await AsyncPredictBatch.run(batch, on: api, errors: errors) }
    }
}
