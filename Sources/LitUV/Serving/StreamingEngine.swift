import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Serves a ``LitStreamingAPI`` through a ``StreamingCodec``: decode each body, `predict(batch:emit:)`, and send
/// every emitted output at once, with flow control per stream.
struct StreamingEngine<Codec: StreamingCodec>: BatchEngine {
    typealias API = Codec.API
    let prototype: API
    let codec: Codec
    let errors: ErrorAnswers
    /// Bytes a stream may have queued (handed to the loop, not yet taken by the kernel) before `emit` waits.
    let maxQueuedBytes: Int
    /// How long `emit` waits for a slow reader before the stream fails.
    let stallTimeout: UInt64

    func setup(_ api: inout API, device: Device) throws { try api.setup(device: device) }
    func isHealthy(_ api: API) -> Bool { api.health() }
    func teardown(_ api: inout API) { api.teardown() }

    var defersLoopWakeups: Bool { false }
    var streamsOutput: Bool { true }

    /// One request's stream, worker side.
    final class Stream {
        let job: Job
        var state: Codec.State
        let streamed: Bool
        var started = false
        var finished = false
        /// The whole body, for answers that are not streamed.
        var aggregate: [UInt8] = []
        init(job: Job, state: Codec.State, streamed: Bool) {
            self.job = job
            self.state = state
            self.streamed = streamed
        }
    }

    func run(_ batch: [Job], on api: API) {
        var streams: [Stream] = []
        var inputs: [API.Input] = []
        for job in batch {
            let decodeStart = job.observation?.willDecode(job)
            do {
                let (input, state) = try codec.decode(body: job.body, context: job.hookContext, api: api)
                if let decodeStart { job.observation?.didDecode(since: decodeStart, error: nil) }
                inputs.append(input)
                streams.append(Stream(job: job, state: state, streamed: codec.isStreamed(state)))
            } catch {
                if let decodeStart { job.observation?.didDecode(since: decodeStart, error: error) }
                job.finish(answer(for: error, hook: "decodeRequest"))
            }
        }
        guard !inputs.isEmpty else { return }
        let observed = streams[0].job.observation == nil ? nil : streams.map(\.job)
        let predictStart = observed.map { RequestObservation.willPredict($0) }
        do {
            try api.predict(batch: inputs) { index, output in
                guard streams.indices.contains(index) else {
                    throw HTTPError(500, "emit to request \(index) of a batch of \(streams.count)")
                }
                try emit(output, to: streams[index], api: api)
            }
        } catch {
            if let observed, let predictStart {
                RequestObservation.didPredict(observed, since: predictStart, error: error)
            }
            let message =
                codec.errorMessage(for: error) ?? (error as? HTTPError)?.detail ?? "Internal server error"
            let failure = answer(for: error, hook: "predict")
            for stream in streams where !stream.finished { fail(stream, response: failure, message: message) }
            return
        }
        if let observed, let predictStart { RequestObservation.didPredict(observed, since: predictStart, error: nil) }
        for stream in streams where !stream.finished { finish(stream) }
    }

    private func answer(for error: any Error, hook: String) -> HTTPResponse {
        if let (status, body) = codec.errorBody(for: error) {
            return HTTPResponse(status: HTTPStatus(status), contentType: .json, body: body)
        }
        return errors.response(for: error, hook: hook)
    }

    private func emit(_ output: API.Output, to stream: Stream, api: API) throws {
        let job = stream.job
        if job.isCancelled || stream.finished { throw CancellationError() }
        let bytes: [UInt8]
        if let observation = job.observation {
            let start = observation.willEncodeOutput()
            do {
                bytes = try codec.encode(output, state: &stream.state, api: api)
            } catch {
                observation.didEncodeOutput(since: start, error: error)
                throw error
            }
            observation.didEncodeOutput(since: start, error: nil)
        } else {
            bytes = try codec.encode(output, state: &stream.state, api: api)
        }
        guard stream.streamed else {
            stream.aggregate += bytes
            return
        }
        if !stream.started {
            stream.started = true
            let trailer = codec.errorTrailer("Request timed out", state: stream.state)
            job.stream(try head(stream.state, timeoutTrailer: trailer))
        }
        guard !bytes.isEmpty else { return }
        try waitForCredit(job)
        job.streamCredit.add(bytes.count, ordering: .acquiringAndReleasing)
        job.stream(.chunk(bytes))
    }

    /// Sleeps while the client is slower than the model (woken by the loop each time bytes reach the kernel, or when
    /// the client leaves); throws when it left or stalled past the timeout.
    private func waitForCredit(_ job: Job) throws {
        guard job.streamCredit.load(ordering: .acquiring) > maxQueuedBytes else { return }
        guard let waiter = job.creditWaiter else {
            preconditionFailure("a streaming engine's jobs carry a credit waiter (ServedEndpoint.admit)")
        }
        let deadline = ContinuousClock.now + .nanoseconds(Int64(clamping: stallTimeout))
        let hasCredit = waiter.wait(until: deadline) {
            job.isCancelled || job.streamCredit.load(ordering: .sequentiallyConsistent) <= maxQueuedBytes
        }
        if job.isCancelled { throw CancellationError() }
        if !hasCredit { throw HTTPError(503, "Client is not reading the stream") }
    }

    /// The content type of a whole answer, and the media type when it is not one of the server's own.
    private func contentType(_ state: Codec.State) throws -> (HTTPResponse.ContentType, String?) {
        switch codec.contentType(state) {
        case .ndjson: return (.ndjson, nil)
        case .eventStream: return (.eventStream, nil)
        case .json: return (.json, nil)
        case .media(let type):
            guard HeaderValidation.isValidMediaType(type) else {
                throw InvalidStreamMediaType(value: type)
            }
            return (.none, type)
        }
    }

    private func head(_ state: Codec.State, timeoutTrailer: [UInt8]) throws -> HTTPStreamEvent {
        let (type, mediaType) = try contentType(state)
        return .head(type, mediaType: mediaType, timeoutTrailer: timeoutTrailer)
    }

    /// A whole (not streamed) answer.
    private func wholeAnswer(_ state: Codec.State, body: [UInt8]) throws -> HTTPResponse {
        let (type, mediaType) = try contentType(state)
        return HTTPResponse(
            status: .ok,
            contentType: type,
            body: body,
            headers: mediaType.map { [("Content-Type", $0)] } ?? []
        )
    }

    private func finish(_ stream: Stream) {
        stream.finished = true
        do {
            let end = try codec.end(state: &stream.state)
            if stream.streamed {
                if !stream.started {
                    let trailer = codec.errorTrailer("Request timed out", state: stream.state)
                    stream.job.stream(try head(stream.state, timeoutTrailer: trailer))
                }
                stream.job.stream(.end(end))
            } else {
                stream.job.finish(try wholeAnswer(stream.state, body: stream.aggregate + end))
            }
        } catch {
            fail(stream, response: answer(for: error, hook: "encodeResponse"), message: "Internal server error")
        }
    }

    private func fail(_ stream: Stream, response: HTTPResponse, message: String) {
        stream.finished = true
        if stream.streamed && stream.started {
            stream.job.stream(.fail(response, trailer: codec.errorTrailer(message, state: stream.state)))
        } else if stream.streamed {
            stream.job.stream(.fail(response, trailer: []))
        } else {
            stream.job.finish(response)
        }
    }
}

/// A codec's ``StreamContentType/media(_:)`` that cannot be sent as `Content-Type` (logged, answered 500).
struct InvalidStreamMediaType: Error, CustomStringConvertible {
    let value: String
    var description: String { "invalid stream content type \"\(value)\"" }
}
