/// The running batch of a continuous-batching endpoint: the model's copy, the active sequences and their states.
/// Step thread only (``ContinuousBatchEngine``).
///
/// `sequences[i]` and `states[i]` belong together. The states are kept in one array so that a step whose sequences
/// all run passes that array itself (`inout`, no copy); when slow readers are paused, their states are moved out for
/// the step (moves, not copies: a state's buffers are never shared, so the model mutates them in place) and back.
struct ContinuousBatch<Model: LitGenerativeAPI, Codec: StreamingCodec> where Codec.API == GenerativeStreams<Model> {
    /// The model (inside the adapter the codec decodes and encodes with).
    private(set) var streams: GenerativeStreams<Model>
    var framing: GenerativeFraming<Codec>
    private(set) var sequences: [GenerativeSequence<Codec>] = []
    private var states: [Model.State] = []
    /// Bytes a sequence may have queued for its client before it is left out of the steps.
    let maxQueuedBytes: Int
    /// How long a sequence may stay paused for a client that does not read before it fails.
    let stallTimeout: UInt64
    let statistics: GenerationStatistics

    init(
        model: Model,
        framing: GenerativeFraming<Codec>,
        maxQueuedBytes: Int,
        stallTimeout: UInt64,
        statistics: GenerationStatistics
    ) {
        streams = GenerativeStreams(model: model)
        self.framing = framing
        self.maxQueuedBytes = maxQueuedBytes
        self.stallTimeout = stallTimeout
        self.statistics = statistics
        sequences.reserveCapacity(model.maxActive)
        states.reserveCapacity(model.maxActive)
    }

    var count: Int { sequences.count }
    var isEmpty: Bool { sequences.isEmpty }
    /// Whether one more sequence may join (the model's ``LitGenerativeAPI/hasCapacity(active:)``).
    var hasCapacity: Bool { streams.model.hasCapacity(active: sequences.count) }

    /// The model's teardown, when the engine stops.
    mutating func teardown() { streams.model.teardown() }

    // MARK: Joining

    /// Starts a waiting request: decode, prefill, its first output. A request that fails there is answered at once;
    /// one that finishes in its prefill ends at once; the others join the batch.
    mutating func admit(_ job: Job, now: UInt64) {
        guard job.tryStart(now: now) else {
            job.completions.abandon(job)  // its client left or its deadline passed while it waited
            return
        }
        let input: Model.Input
        let sequence: GenerativeSequence<Codec>
        do {
            let (decoded, framingState) = try framing.codec.decode(
                body: job.body,
                context: job.hookContext,
                api: streams
            )
            input = decoded
            sequence = GenerativeSequence(
                job: job,
                framing: framingState,
                streamed: framing.codec.isStreamed(framingState)
            )
        } catch {
            framing.reject(job, error: error, hook: "decodeRequest")
            return
        }
        let state: Model.State
        do {
            let (first, output) = try streams.model.prefill(input)
            state = first
            if let output {
                do {
                    try framing.send(output, to: sequence, api: streams)
                    statistics.recordOutputs(1)
                } catch {
                    framing.fail(sequence, error: error, hook: "encodeResponse")
                    streams.model.release(state)
                    return
                }
            }
        } catch {
            framing.fail(sequence, error: error, hook: "prefill")
            return
        }
        if streams.model.isFinished(state) {
            framing.finish(sequence)
            streams.model.release(state)
            return
        }
        sequences.append(sequence)
        states.append(state)
    }

    // MARK: Leaving

    /// Ends every sequence whose client left, whose deadline passed, or whose client stopped reading for longer than
    /// the stall timeout, and moves the sequences that may be stepped (their clients keep up) to the front.
    /// - Returns: How many sequences, from the front, the next step advances.
    mutating func prune(now: UInt64) -> Int {
        var index = 0
        while index < sequences.count {
            let sequence = sequences[index]
            let job = sequence.job
            if job.isCancelled {
                // The connection dropped the answer; this event only settles the job's in-flight count.
                framing.fail(sequence, response: .error(.serviceUnavailable, "Client left"), message: "Client left")
            } else if now >= job.deadline {
                framing.fail(
                    sequence,
                    response: .error(.gatewayTimeout, "Request timed out"),
                    message: "Request timed out"
                )
            } else if job.streamCredit.load(ordering: .acquiring) > maxQueuedBytes {
                let since = sequence.stalledSince ?? now
                sequence.stalledSince = since
                guard now &- since >= stallTimeout else {
                    index += 1
                    continue
                }
                framing.fail(
                    sequence,
                    response: .error(.serviceUnavailable, "Client is not reading the stream"),
                    message: "Client is not reading the stream"
                )
            } else {
                sequence.stalledSince = nil
                index += 1
                continue
            }
            remove(at: index)
        }
        // Runnable sequences to the front (the order within the batch carries no meaning).
        var runnable = 0
        for index in sequences.indices where sequences[index].stalledSince == nil {
            if index != runnable {
                sequences.swapAt(index, runnable)
                states.swapAt(index, runnable)
            }
            runnable += 1
        }
        return runnable
    }

    /// Whether something changed that the step loop must act on without waiting for a timeout: a client left, or a
    /// paused client took its output. Read after `Parker.prepareToPark()` (the loop wakes the parker after both).
    var hasWork: Bool {
        for sequence in sequences {
            if sequence.job.isCancelled { return true }
            if sequence.job.streamCredit.load(ordering: .sequentiallyConsistent) <= maxQueuedBytes { return true }
        }
        return false
    }

    /// The earliest monotonic time at which a sequence must be ended (a deadline, a stall timeout), or nil.
    var nextTimeout: UInt64? {
        var earliest: UInt64?
        for sequence in sequences {
            var limit = sequence.job.deadline
            if let since = sequence.stalledSince { limit = min(limit, since &+ stallTimeout) }
            if limit != .max { earliest = min(earliest ?? .max, limit) }
        }
        return earliest
    }

    // MARK: Stepping

    /// Advances the first `runnable` sequences by one step, sends their outputs and ends the finished ones.
    /// - Returns: The number of outputs sent.
    mutating func step(runnable: Int) -> Int {
        var paused: [Model.State] = []
        if runnable < states.count {
            paused.reserveCapacity(states.count - runnable)
            while states.count > runnable { paused.append(states.removeLast()) }
        }
        let result: Result<[Model.Output?], any Error>
        do {
            result = .success(try streams.model.step(&states))
        } catch {
            result = .failure(error)
        }
        while let state = paused.popLast() { states.append(state) }

        var outputs: [Model.Output?]
        switch result {
        case .success(let produced) where produced.count == runnable:
            outputs = produced
        case .success(let produced):
            let error = HTTPError(500, "step returned \(produced.count) outputs for \(runnable) sequences")
            failFront(runnable, error: error)
            return 0
        case .failure(let error):
            failFront(runnable, error: error)
            return 0
        }
        var sent = 0
        var index = runnable - 1
        while index >= 0 {
            let sequence = sequences[index]
            if let output = outputs[index].take() {
                do {
                    try framing.send(output, to: sequence, api: streams)
                    sent += 1
                } catch {
                    framing.fail(sequence, error: error, hook: "encodeResponse")
                    remove(at: index)
                    index -= 1
                    continue
                }
            }
            if streams.model.isFinished(states[index]) {
                framing.finish(sequence)
                remove(at: index)
            }
            index -= 1
        }
        return sent
    }

    /// Fails the first `count` sequences (a failed step).
    private mutating func failFront(_ count: Int, error: any Error) {
        for index in (0..<count).reversed() {
            framing.fail(sequences[index], error: error, hook: "step")
            remove(at: index)
        }
    }

    /// Removes a sequence (swapping the last one into its place) and releases its state.
    private mutating func remove(at index: Int) {
        let last = sequences.count - 1
        if index != last {
            sequences.swapAt(index, last)
            states.swapAt(index, last)
        }
        sequences.removeLast()
        streams.model.release(states.removeLast())
    }
}
