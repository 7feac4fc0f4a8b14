/// One request in a continuous batch, step-thread side: its job, its codec's framing state, and what was sent.
/// The model's own state lives beside it in the batch (``ContinuousBatch``), so a step gets every state in one
/// array without copying them.
final class GenerativeSequence<Codec: StreamingCodec> {
    let job: Job
    var framing: Codec.State
    let streamed: Bool
    /// The stream's head was sent.
    var started = false
    /// The whole body, for answers that are not streamed.
    var aggregate: [UInt8] = []
    /// Monotonic nanoseconds since which the client has not taken its output (nil while it keeps up).
    var stalledSince: UInt64?

    init(job: Job, framing: Codec.State, streamed: Bool) {
        self.job = job
        self.framing = framing
        self.streamed = streamed
    }
}

/// Turns a sequence's outputs into stream events with a ``StreamingCodec``, exactly as ``StreamingEngine`` frames a
/// streaming API's (head, one chunk per output, end or error trailer), and sends them to each job's loop. Events are
/// queued without a wake-up; ``wakeLoops()`` wakes every loop that got some once, after a step.
struct GenerativeFraming<Codec: StreamingCodec> {
    let codec: Codec
    let errors: ErrorAnswers
    /// The loops that got events since the last ``wakeLoops()``.
    private var sinks: [CompletionSink] = []

    init(codec: Codec, errors: ErrorAnswers) {
        self.codec = codec
        self.errors = errors
        sinks.reserveCapacity(4)
    }

    /// Sends one output. Throws what encoding threw (the caller fails the sequence).
    mutating func send(_ output: Codec.API.Output, to sequence: GenerativeSequence<Codec>, api: Codec.API) throws {
        let bytes = try codec.encode(output, state: &sequence.framing, api: api)
        guard sequence.streamed else {
            sequence.aggregate += bytes
            return
        }
        try startIfNeeded(sequence)
        guard !bytes.isEmpty else { return }
        sequence.job.streamCredit.add(bytes.count, ordering: .acquiringAndReleasing)
        deliver(.chunk(bytes), for: sequence.job)
    }

    /// Ends a sequence that completed.
    mutating func finish(_ sequence: GenerativeSequence<Codec>) {
        do {
            let end = try codec.end(state: &sequence.framing)
            if sequence.streamed {
                try startIfNeeded(sequence)
                deliver(.end(end), for: sequence.job)
            } else {
                let (type, mediaType) = try contentType(sequence.framing)
                var response = HTTPResponse(
                    status: .ok,
                    contentType: type,
                    body: sequence.aggregate + end,
                    headers: mediaType.map { [("Content-Type", $0)] } ?? []
                )
                sequence.job.compressor?.compress(&response)
                sequence.job.completions.deliver(.finished(sequence.job, response), wake: false)
                note(sequence.job.completions)
            }
        } catch {
            fail(sequence, error: error, hook: "encodeResponse")
        }
    }

    /// Fails a sequence with what a hook threw: an HTTP error before its stream started, the error trailer after.
    mutating func fail(_ sequence: GenerativeSequence<Codec>, error: any Error, hook: String) {
        let message = codec.errorMessage(for: error) ?? (error as? HTTPError)?.detail ?? "Internal server error"
        fail(sequence, response: answer(for: error, hook: hook, job: sequence.job), message: message)
    }

    /// Fails a sequence with a given answer (before the stream) and message (the trailer after it).
    mutating func fail(_ sequence: GenerativeSequence<Codec>, response: HTTPResponse, message: String) {
        if sequence.streamed && sequence.started {
            deliver(.fail(response, trailer: codec.errorTrailer(message, state: sequence.framing)), for: sequence.job)
        } else if sequence.streamed {
            deliver(.fail(response, trailer: []), for: sequence.job)
        } else {
            sequence.job.completions.deliver(.finished(sequence.job, response), wake: false)
            note(sequence.job.completions)
        }
    }

    /// Answers a request that never became a sequence (its body or its prefill failed).
    mutating func reject(_ job: Job, error: any Error, hook: String) {
        job.completions.deliver(.finished(job, answer(for: error, hook: hook, job: job)), wake: false)
        note(job.completions)
    }

    /// Wakes every loop that got events since the last call, once each.
    mutating func wakeLoops() {
        for sink in sinks { sink.wakeLoop() }
        sinks.removeAll(keepingCapacity: true)
    }

    private func answer(for error: any Error, hook: String, job: Job) -> HTTPResponse {
        if let (status, body) = codec.errorBody(for: error) {
            return HTTPResponse(status: HTTPStatus(status), contentType: .json, body: body)
        }
        return errors.response(for: error, hook: hook, requestID: job.hookContext.requestID)
    }

    private mutating func startIfNeeded(_ sequence: GenerativeSequence<Codec>) throws {
        guard !sequence.started else { return }
        let (type, mediaType) = try contentType(sequence.framing)
        sequence.started = true
        let trailer = codec.errorTrailer("Request timed out", state: sequence.framing)
        deliver(.head(type, mediaType: mediaType, timeoutTrailer: trailer), for: sequence.job)
    }

    private mutating func deliver(_ event: HTTPStreamEvent, for job: Job) {
        job.completions.deliver(.stream(job, event), wake: false)
        note(job.completions)
    }

    private mutating func note(_ sink: CompletionSink) {
        if sinks.last === sink { return }
        for known in sinks where known === sink { return }
        sinks.append(sink)
    }

    /// The content type of an answer, and the media type when it is not one of the server's own (a codec's
    /// `.media`, checked like the streaming engine does: an invalid one is an error, never sent).
    private func contentType(_ state: Codec.State) throws -> (HTTPResponse.ContentType, String?) {
        switch codec.contentType(state) {
        case .ndjson: return (.ndjson, nil)
        case .eventStream: return (.eventStream, nil)
        case .json: return (.json, nil)
        case .media(let type):
            guard HeaderValidation.isValidMediaType(type) else { throw InvalidStreamMediaType(value: type) }
            return (.none, type)
        }
    }
}
