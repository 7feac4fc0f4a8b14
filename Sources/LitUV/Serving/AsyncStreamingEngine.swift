/// Serves a ``LitAsyncStreamingAPI`` as NDJSON: the worker collects batches and starts one task per batch, which
/// decodes each body, runs `predict(batch:contexts:emit:)` and sends every emitted output at once, suspending (never
/// blocking a thread) while a client reads slower than the model writes. ``StreamingEngine`` is the synchronous
/// counterpart; keep the two in step.
struct AsyncStreamingEngine<UserAPI: LitAsyncStreamingAPI>: BatchEngine {
    typealias API = AsyncWorkerCopy<UserAPI>
    let prototype: API
    let errors: ErrorAnswers
    /// Bytes a stream may have queued (handed to the loop, not yet taken by the kernel) before `emit` suspends.
    let maxQueuedBytes: Int
    /// How long `emit` waits for a slow reader before the stream fails (nanoseconds).
    let stallTimeout: UInt64

    init(api: UserAPI, errors: ErrorAnswers, maxConcurrentPredictions: Int, maxQueuedBytes: Int, stallTimeout: UInt64) {
        prototype = AsyncWorkerCopy(api: api, maxConcurrentPredictions: maxConcurrentPredictions)
        self.errors = errors
        self.maxQueuedBytes = maxQueuedBytes
        self.stallTimeout = stallTimeout
    }

    func setup(_ copy: inout API, device: Device) throws {
        try copy.setUp(device: device) { api in try await api.setup(device: device) }
    }

    func isHealthy(_ copy: API) -> Bool { copy.api.health() }

    func teardown(_ copy: inout API) { copy.tearDown { api in await api.teardown() } }

    var defersLoopWakeups: Bool { false }
    var streamsOutput: Bool { true }
    var runsAsync: Bool { true }

    func run(_ batch: [Job], on copy: API) {
        let executor = copy.executor
        copy.start(batch) { [self] api in await stream(batch, on: api, executor: executor) }
    }

    /// One request's stream, inside its batch's task.
    final class Stream {
        let job: Job
        var started = false
        var finished = false
        init(job: Job) { self.job = job }
    }

    private func stream(_ batch: [Job], on api: UserAPI, executor: ThreadTaskExecutor?) async {
        var streams: [Stream] = []
        var inputs: [UserAPI.Input] = []
        for job in batch {
            let decodeStart = RequestObservation.willDecode(job)
            do {
                let request = try JSONBridge.decode(UserAPI.Request.self, from: job.body)
                inputs.append(try await api.decodeRequest(request, context: job.hookContext))
                RequestObservation.didDecode(job, since: decodeStart, error: nil)
                streams.append(Stream(job: job))
            } catch {
                RequestObservation.didDecode(job, since: decodeStart, error: error)
                job.finish(errors.response(for: error, hook: "decodeRequest", requestID: job.fields.id?.string))
            }
        }
        guard !inputs.isEmpty else { return }
        let owners = streams.map(\.job)
        let observed = owners[0].observation != nil
        let predictStart = observed ? RequestObservation.willPredict(owners) : 0
        do {
            try await api.predict(batch: inputs, contexts: RequestContexts(jobs: owners)) { index, output in
                guard streams.indices.contains(index) else {
                    throw HTTPError(500, "emit to request \(index) of a batch of \(streams.count)")
                }
                try await emit(output, to: streams[index], api: api, executor: executor)
            }
        } catch {
            if observed { RequestObservation.didPredict(owners, since: predictStart, error: error) }
            let message = (error as? HTTPError)?.detail ?? "Internal server error"
            let failure = errors.response(for: error, hook: "predict", requestID: owners[0].fields.id?.string)
            for stream in streams where !stream.finished { fail(stream, response: failure, message: message) }
            return
        }
        if observed { RequestObservation.didPredict(owners, since: predictStart, error: nil) }
        for stream in streams where !stream.finished {
            stream.finished = true
            if !stream.started { stream.job.stream(.head(.ndjson, timeoutTrailer: Self.timeoutTrailer)) }
            stream.job.stream(.end([]))
        }
    }

    private static var timeoutTrailer: [UInt8] { NDJSONLines.error("Request timed out") }

    private func emit(
        _ output: UserAPI.Output,
        to stream: Stream,
        api: UserAPI,
        executor: ThreadTaskExecutor?
    ) async throws {
        let job = stream.job
        if job.isCancelled || stream.finished { throw CancellationError() }
        var line: [UInt8]
        if let observation = job.observation {
            let start = observation.willEncodeOutput()
            do {
                line = try JSONBridge.encode(try api.encodeResponse(output))
            } catch {
                observation.didEncodeOutput(since: start, error: error)
                throw error
            }
            observation.didEncodeOutput(since: start, error: nil)
        } else {
            line = try JSONBridge.encode(try api.encodeResponse(output))
        }
        line.append(UInt8(ascii: "\n"))
        if !stream.started {
            stream.started = true
            job.stream(.head(.ndjson, timeoutTrailer: Self.timeoutTrailer))
        }
        try await waitForCredit(job, executor: executor)
        job.streamCredit.add(line.count, ordering: .acquiringAndReleasing)
        job.stream(.chunk(line))
    }

    /// Suspends while the client is slower than the model (resumed by the loop each time bytes reach the kernel, or
    /// when the client leaves); throws when it left or stalled past the timeout.
    private func waitForCredit(_ job: Job, executor: ThreadTaskExecutor?) async throws {
        guard job.streamCredit.load(ordering: .acquiring) > maxQueuedBytes else { return }
        guard let slot = job.asyncSlot, let executor else {
            throw HTTPError(500, "an async stream without its job slot or executor")
        }
        let deadline = ContinuousClock.now + .nanoseconds(Int64(clamping: stallTimeout))
        while true {
            if job.isCancelled { throw CancellationError() }
            if job.streamCredit.load(ordering: .sequentiallyConsistent) <= maxQueuedBytes { return }
            if ContinuousClock.now >= deadline { throw HTTPError(503, "Client is not reading the stream") }
            // One stall timer per stream at a time: one left by an earlier wait fires before this deadline, and the
            // loop then arms the next (a timer firing after the wait only makes a later wait re-check).
            if slot.armTimer() { executor.schedule(at: deadline) { slot.timerFired() } }
            await slot.nextSignal()
        }
    }

    private func fail(_ stream: Stream, response: HTTPResponse, message: String) {
        stream.finished = true
        if stream.started {
            stream.job.stream(.fail(response, trailer: NDJSONLines.error(message)))
        } else {
            stream.job.stream(.fail(response, trailer: []))
        }
    }
}
