import LitUV
import LitUVOpenAI

/// One generation of ``TinyLM`` advanced a word at a time: the same words as ``TinyLM/generate(prompt:options:emit:)``
/// for the same prompt and options, for a step loop that advances many of them together.
public struct TinyLMGeneration: Sendable {
    private var random: SplitMix64
    private var current: Int32 = 0
    private var opening: Int32?
    private var first = true
    private var filter: StopFilter
    private let options: TinyLM.Options
    /// Words generated so far.
    public private(set) var generated = 0
    /// Why generation ended, once it has.
    public private(set) var ending: TinyLM.Ending?

    /// Starts a continuation of `prompt` (as ``TinyLM/generate(prompt:options:emit:)`` does).
    public init(model: TinyLM, prompt: String, options: TinyLM.Options) {
        self.options = options
        random = SplitMix64(seed: options.seed ?? TinyLM.fnv1a(prompt))
        filter = StopFilter(stops: options.stop)
        if let last = prompt.split(whereSeparator: \.isWhitespace).last.map({ TinyLM.normalized(String($0)) }),
            let known = model.lookup[last]
        {
            current = known
            first = false
        } else {
            opening = model.sentenceStarts[Int(random.next() % UInt64(model.sentenceStarts.count))]
        }
        if options.maxTokens <= 0 { ending = .length }
    }

    /// Generates one word; returns the text to send now (may be empty). Sets ``ending`` when this was the last.
    public mutating func advance(model: TinyLM) -> String {
        guard ending == nil else { return "" }
        if let start = opening {
            current = start
            opening = nil
        } else {
            current = model.pick(after: current, temperature: options.temperature, random: &random)
        }
        let word = model.words[Int(current)]
        generated += 1
        let piece = first ? word : " " + word
        first = false
        guard var text = filter.feed(piece) else {
            ending = .stop
            return filter.stoppedText
        }
        if generated >= options.minimumWords && TinyLM.endsSentence(word) {
            text += filter.flush()
            ending = .stop
        } else if generated >= options.maxTokens {
            text += filter.flush()
            ending = .length
        }
        return text
    }
}

// MARK: - NDJSON, continuous batching

/// ``TinyLM`` served with continuous batching on `/predict` (`lituv-example --model tiny-lm --continuous`): the same
/// requests and NDJSON lines as ``TinyLMAPI``, but every active request advances by one word per step, and a step
/// costs ``stepDelay`` whatever the batch size (as a GPU forward pass does).
public struct TinyLMContinuousAPI: LitGenerativeAPI {
    public typealias Request = TinyLMAPI.Request
    public typealias Input = TinyLMAPI.Input
    public typealias State = TinyLMGeneration
    public typealias Output = String
    public typealias Response = TinyLMAPI.Token

    /// The most sequences in one step.
    public var maxActive: Int
    /// The cost of one step, slept once per step.
    public var stepDelay: Duration
    private var model: TinyLM?

    /// - Parameters:
    ///   - maxActive: The most sequences in one step (1: one request at a time).
    ///   - stepDelay: The cost of one step.
    public init(maxActive: Int = 64, stepDelay: Duration = .zero) {
        self.maxActive = maxActive
        self.stepDelay = stepDelay
    }

    /// Builds the chain.
    public mutating func setup(device: Device) throws { model = TinyLM() }

    public func decodeRequest(_ request: Request, context: RequestContext) throws -> Input {
        try TinyLMAPI().decodeRequest(request, context: context)
    }

    /// Starts a generation; the first word comes with the next step.
    public func prefill(_ input: Input) throws -> (state: TinyLMGeneration, output: String?) {
        guard let model else { throw HTTPError(503, "model not loaded") }
        return (TinyLMGeneration(model: model, prompt: input.prompt, options: input.options), nil)
    }

    /// One word for every sequence, after one ``stepDelay``.
    public func step(_ states: inout [TinyLMGeneration]) throws -> [String?] {
        guard let model else { throw HTTPError(503, "model not loaded") }
        sleep(for: stepDelay)
        var outputs: [String?] = []
        outputs.reserveCapacity(states.count)
        for index in states.indices {
            let text = states[index].advance(model: model)
            outputs.append(text.isEmpty ? nil : text)
        }
        return outputs
    }

    public func isFinished(_ state: TinyLMGeneration) -> Bool { state.ending != nil }

    public func encodeResponse(_ output: String) throws -> TinyLMAPI.Token { TinyLMAPI.Token(token: output) }
}

// MARK: - OpenAI chat, continuous batching

/// ``TinyLMChatAPI`` served with continuous batching: the same deltas (text, `json_object` wrapping, tool calls,
/// the finish with its usage), one per sequence per step.
public struct TinyLMContinuousChatAPI: LitGenerativeAPI {
    public typealias Request = ChatCompletionRequest
    public typealias Input = ChatCompletionRequest
    public typealias Output = ChatDelta
    public typealias Response = ChatDelta

    /// One chat answer in progress.
    public struct State: Sendable {
        /// Deltas to send before (or instead of) generated text, one per step.
        var queued: [ChatDelta] = []
        var generation: TinyLMGeneration?
        var json = false
        var firstWord = true
        var promptTokens = 0
        var done = false
    }

    /// The most sequences in one step.
    public var maxActive: Int
    /// The cost of one step, slept once per step.
    public var stepDelay: Duration
    private var model: TinyLM?

    /// - Parameters:
    ///   - maxActive: The most sequences in one step.
    ///   - stepDelay: The cost of one step.
    public init(maxActive: Int = 64, stepDelay: Duration = .zero) {
        self.maxActive = maxActive
        self.stepDelay = stepDelay
    }

    /// Builds the chain.
    public mutating func setup(device: Device) throws { model = TinyLM() }

    public func prefill(_ request: ChatCompletionRequest) throws -> (state: State, output: ChatDelta?) {
        guard let model else { throw HTTPError(503, "model not loaded") }
        let prompt = request.messages.last(where: { $0.role == .user })?.text ?? request.messages.last?.text ?? ""
        var state = State()
        state.promptTokens = request.messages.reduce(0) { $0 + TinyLMChatAPI.words(in: $1.text) }
        let seed = request.seed.map { UInt64(bitPattern: Int64($0)) } ?? TinyLM.fnv1a(prompt)
        let chat = TinyLMChatAPI()
        if let tool = chat.toolToCall(request, prompt: prompt) {
            let id = "call_" + String(seed ^ TinyLM.fnv1a(tool.name), radix: 36)
            state.queued.append(ChatDelta(toolCalls: [ToolCallDelta(index: 0, id: id, name: tool.name, arguments: "")]))
            let pieces = chat.arguments(for: tool, model: model, seed: seed)
            for piece in pieces {
                state.queued.append(ChatDelta(toolCalls: [ToolCallDelta(index: 0, arguments: piece)]))
            }
            let usage = TokenUsage(promptTokens: state.promptTokens, completionTokens: pieces.count + 1)
            state.queued.append(.finish(.toolCalls, usage: usage))
            return (state, nil)
        }
        switch request.responseFormat {
        case .jsonObject?, .jsonSchema?: state.json = true
        default: break
        }
        if state.json { state.queued.append(.text(#"{"text":""#)) }
        let options = TinyLM.Options(
            maxTokens: min(request.tokenLimit ?? 64, 100_000),
            temperature: request.temperature ?? 1.0,
            seed: seed,
            stop: request.stop
        )
        state.generation = TinyLMGeneration(model: model, prompt: prompt, options: options)
        return (state, nil)
    }

    /// One delta for every sequence, after one ``stepDelay``.
    public func step(_ states: inout [State]) throws -> [ChatDelta?] {
        guard let model else { throw HTTPError(503, "model not loaded") }
        sleep(for: stepDelay)
        var outputs: [ChatDelta?] = []
        outputs.reserveCapacity(states.count)
        for index in states.indices {
            outputs.append(advance(&states[index], model: model))
        }
        return outputs
    }

    private func advance(_ state: inout State, model: TinyLM) -> ChatDelta? {
        if !state.queued.isEmpty {
            let delta = state.queued.removeFirst()
            if state.queued.isEmpty && state.generation == nil { state.done = true }
            return delta
        }
        guard var generation = state.generation else {
            state.done = true
            return nil
        }
        let token = generation.advance(model: model)
        state.generation = generation
        if let ending = generation.ending {
            state.generation = nil
            if state.json { state.queued.append(.text(#""}"#)) }
            let usage = TokenUsage(promptTokens: state.promptTokens, completionTokens: generation.generated)
            state.queued.append(.finish(ending == .length ? .length : .stop, usage: usage))
        }
        guard !token.isEmpty else { return nil }
        let text = state.firstWord ? String(token.trimmingPrefix(" ")) : token  // an answer, not a continuation
        state.firstWord = false
        return .text(state.json ? TinyLMChatAPI.escaped(text) : text)
    }

    public func isFinished(_ state: State) -> Bool { state.done }
}

// MARK: - NDJSON, static batching with the same step cost

/// ``TinyLM`` with the step cost of ``TinyLMContinuousAPI`` on the ordinary streaming path (static batches): a batch
/// advances all its requests by one word per step, one ``stepDelay`` per step, until the longest one finished; a
/// request arriving meanwhile waits for the next batch. The baseline the continuous figures compare with
/// (`lituv-example --model tiny-lm --step-delay-ms 2 --max-batch-size 64`, without `--continuous`).
public struct TinyLMStaticBatchAPI: LitStreamingAPI {
    public typealias Request = TinyLMAPI.Request
    public typealias Input = TinyLMAPI.Input
    public typealias Output = String
    public typealias Response = TinyLMAPI.Token

    /// The cost of one step, slept once per step.
    public var stepDelay: Duration
    private var model: TinyLM?

    /// - Parameter stepDelay: The cost of one step.
    public init(stepDelay: Duration) { self.stepDelay = stepDelay }

    /// Builds the chain.
    public mutating func setup(device: Device) throws { model = TinyLM() }

    public func decodeRequest(_ request: Request, context: RequestContext) throws -> Input {
        try TinyLMAPI().decodeRequest(request, context: context)
    }

    public func predict(_ input: Input, emit: (String) throws -> Void) throws {
        try predict(batch: [input]) { _, output in try emit(output) }
    }

    /// Steps every request of the batch together until all are done (a client that left drops out).
    public func predict(batch inputs: [Input], emit: (_ index: Int, _ output: String) throws -> Void) throws {
        guard let model else { throw HTTPError(503, "model not loaded") }
        var generations = inputs.map { TinyLMGeneration(model: model, prompt: $0.prompt, options: $0.options) }
        var gone = [Bool](repeating: false, count: inputs.count)
        while generations.indices.contains(where: { !gone[$0] && generations[$0].ending == nil }) {
            sleep(for: stepDelay)
            for index in generations.indices where !gone[index] && generations[index].ending == nil {
                let text = generations[index].advance(model: model)
                guard !text.isEmpty else { continue }
                do {
                    try emit(index, text)
                } catch is CancellationError {
                    gone[index] = true
                }
            }
        }
    }

    public func encodeResponse(_ output: String) throws -> TinyLMAPI.Token { TinyLMAPI.Token(token: output) }
}
