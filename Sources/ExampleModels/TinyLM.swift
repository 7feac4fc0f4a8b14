import LitUV
import LitUVOpenAI

#if canImport(Glibc)
import Glibc
#endif

/// A tiny deterministic language model: a word-level Markov chain over the opening of Lewis Carroll's *Alice's
/// Adventures in Wonderland* (1865, public domain), shipped in this file.
///
/// Same prompt and options, same words: sampling uses a seeded generator (the request's `seed`, else a hash of
/// the prompt), and temperature 0 always takes the most frequent next word. Generation continues from the
/// prompt's last word when the text knows it, else from a sentence start, and ends at a sentence end (after at
/// least ``Options/minimumWords`` words), at a stop sequence, or at the token limit. One word is one token.
public struct TinyLM: Sendable {
    /// How to generate.
    public struct Options: Sendable, Hashable {
        /// The most words to generate.
        public var maxTokens: Int
        /// 0 takes the most frequent next word; higher values flatten the choice (counts ^ (1 / temperature)).
        public var temperature: Double
        /// The sampling seed; nil derives one from the prompt.
        public var seed: UInt64?
        /// Stop sequences: the text ends before the first one produced (it is not sent).
        public var stop: [String]
        /// Words generated before a sentence end may finish the answer.
        public var minimumWords: Int

        /// Creates options.
        public init(
            maxTokens: Int = 64,
            temperature: Double = 1.0,
            seed: UInt64? = nil,
            stop: [String] = [],
            minimumWords: Int = 8
        ) {
            self.maxTokens = maxTokens
            self.temperature = temperature
            self.seed = seed
            self.stop = stop
            self.minimumWords = minimumWords
        }
    }

    /// Why generation ended.
    public enum Ending: Sendable, Hashable {
        /// A sentence end or a stop sequence.
        case stop
        /// The token limit.
        case length
    }

    /// The distinct words of the text, with their punctuation (`bank,`).
    let words: [String]
    /// For each word, the words that follow it in the text and how often.
    let successors: [[(word: Int32, count: Int32)]]
    /// Normalised spelling (lowercase letters and digits) → the first word with that spelling.
    let lookup: [String: Int32]
    /// Words that begin a sentence.
    let sentenceStarts: [Int32]

    /// Builds the chain from ``text`` (a few milliseconds).
    public init() {
        self.init(text: TinyLM.text)
    }

    /// Builds the chain from any text (split on whitespace; the text wraps around so every word has a successor).
    public init(text: String) {
        let tokens = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).map(String.init)
        var ids: [String: Int32] = [:]
        var words: [String] = []
        var sequence: [Int32] = []
        for token in tokens {
            if let id = ids[token] {
                sequence.append(id)
            } else {
                let id = Int32(words.count)
                ids[token] = id
                words.append(token)
                sequence.append(id)
            }
        }
        var successors = [[(word: Int32, count: Int32)]](repeating: [], count: words.count)
        var starts: [Int32] = []
        for (position, id) in sequence.enumerated() {
            let next = sequence[(position + 1) % sequence.count]
            if let slot = successors[Int(id)].firstIndex(where: { $0.word == next }) {
                successors[Int(id)][slot].count += 1
            } else {
                successors[Int(id)].append((next, 1))
            }
            let previous = sequence[(position + sequence.count - 1) % sequence.count]
            if TinyLM.endsSentence(words[Int(previous)]), words[Int(id)].first?.isUppercase == true,
                !starts.contains(id)
            {
                starts.append(id)
            }
        }
        var lookup: [String: Int32] = [:]
        for (id, word) in words.enumerated() {
            let key = TinyLM.normalized(word)
            if !key.isEmpty && lookup[key] == nil { lookup[key] = Int32(id) }
        }
        self.words = words
        self.successors = successors
        self.lookup = lookup
        self.sentenceStarts = starts.isEmpty ? [0] : starts
    }

    /// Generates a continuation of `prompt`, one word per `emit` call (words after the first start with a space).
    /// - Parameters:
    ///   - prompt: The text to continue.
    ///   - options: Limits, sampling and stop sequences.
    ///   - emit: Receives each piece of text; its errors (a client that left) end generation.
    /// - Returns: Why generation ended, and how many words were generated.
    @discardableResult
    public func generate(
        prompt: String,
        options: Options = Options(),
        emit: (String) throws -> Void
    ) rethrows -> (ending: Ending, tokens: Int) {
        var random = SplitMix64(seed: options.seed ?? TinyLM.fnv1a(prompt))
        var current: Int32 = 0
        var opening: Int32?  // the sentence start to begin with, when the prompt's last word is unknown
        var first = true
        if let last = prompt.split(whereSeparator: \.isWhitespace).last.map({ TinyLM.normalized(String($0)) }),
            let known = lookup[last]
        {
            current = known
            first = false  // continuing the prompt: every word starts with a space
        } else {
            opening = sentenceStarts[Int(random.next() % UInt64(sentenceStarts.count))]
        }
        var filter = StopFilter(stops: options.stop)
        var generated = 0
        while generated < options.maxTokens {
            if let start = opening {
                current = start
                opening = nil
            } else {
                current = pick(after: current, temperature: options.temperature, random: &random)
            }
            let word = words[Int(current)]
            generated += 1
            let piece = first ? word : " " + word
            first = false
            guard let text = filter.feed(piece) else {
                let rest = filter.stoppedText
                if !rest.isEmpty { try emit(rest) }
                return (.stop, generated)
            }
            if !text.isEmpty { try emit(text) }
            if generated >= options.minimumWords && TinyLM.endsSentence(word) {
                let rest = filter.flush()
                if !rest.isEmpty { try emit(rest) }
                return (.stop, generated)
            }
        }
        let rest = filter.flush()
        if !rest.isEmpty { try emit(rest) }
        return (.length, generated)
    }

    func pick(after word: Int32, temperature: Double, random: inout SplitMix64) -> Int32 {
        let next = successors[Int(word)]
        if next.count == 1 { return next[0].word }
        if temperature <= 0 {
            return next.max(by: { $0.count < $1.count })!.word  // the first of the most frequent
        }
        let weights = next.map { temperature == 1 ? Double($0.count) : pow(Double($0.count), 1 / temperature) }
        let total = weights.reduce(0, +)
        var target = Double(random.next() >> 11) / Double(1 << 53) * total
        for (index, weight) in weights.enumerated() {
            target -= weight
            if target < 0 { return next[index].word }
        }
        return next[next.count - 1].word
    }

    static func endsSentence(_ word: String) -> Bool {
        var trimmed = Substring(word)
        while let last = trimmed.last, last == "'" || last == ")" || last == "\"" { trimmed = trimmed.dropLast() }
        guard let last = trimmed.last else { return false }
        return last == "." || last == "!" || last == "?"
    }

    static func normalized(_ word: String) -> String {
        String(word.lowercased().filter { $0.isLetter || $0.isNumber })
    }

    /// FNV-1a, 64 bits: a stable hash (Swift's `Hasher` is seeded per process).
    public static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }
}

/// SplitMix64: a small, fast, seedable generator (the same numbers on every machine).
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

/// Holds back text that might be the start of a stop sequence, so a stop sequence split across words is never
/// sent.
struct StopFilter {
    let stops: [String]
    private var pending = ""
    /// The text before the stop sequence, once one was found.
    private(set) var stoppedText = ""

    init(stops: [String]) { self.stops = stops }

    /// Adds text; returns what may be sent now, or nil when a stop sequence appeared (see ``stoppedText``).
    mutating func feed(_ piece: String) -> String? {
        guard !stops.isEmpty else { return piece }
        pending += piece
        var earliest: String.Index?
        for stop in stops {
            if let range = pending.firstRange(of: stop), earliest.map({ range.lowerBound < $0 }) ?? true {
                earliest = range.lowerBound
            }
        }
        if let earliest {
            stoppedText = String(pending[..<earliest])
            pending = ""
            return nil
        }
        // Keep the longest tail that a stop sequence starts with.
        var hold = 0
        for stop in stops {
            for length in stride(from: min(stop.count - 1, pending.count), to: hold, by: -1)
            where stop.hasPrefix(pending.suffix(length)) {
                hold = length
                break
            }
        }
        let ready = String(pending.dropLast(hold))
        pending = String(pending.suffix(hold))
        return ready
    }

    /// What is still held back (the text ended without a stop sequence).
    mutating func flush() -> String {
        defer { pending = "" }
        return pending
    }
}

/// Sleeps, resuming after signals.
func sleep(for duration: Duration) {
    let (seconds, attoseconds) = duration.components
    guard seconds > 0 || attoseconds > 0 else { return }
    var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0 && errno == EINTR {
        request = remaining
    }
}

// MARK: - Served as NDJSON

/// ``TinyLM`` as a streaming `/predict` API: `{"prompt": "Alice was", "max_tokens": 16}` → one NDJSON line per
/// token, `{"token":" beginning"}`: exactly `max_tokens` tokens (default 32) unless a stop sequence ends them
/// first, so load tests know the length of every stream.
public struct TinyLMAPI: LitStreamingAPI {
    /// `{"prompt": "...", "max_tokens": 32, "temperature": 0.7, "seed": 1, "stop": ["."]}`; all but `prompt`
    /// optional; `{"input": "..."}` (LitServe's streaming examples) is read as the prompt.
    public struct Request: Decodable, Sendable {
        public var prompt: String
        public var maxTokens: Int?
        public var temperature: Double?
        public var seed: Int?
        public var stop: [String]?

        enum CodingKeys: String, CodingKey {
            case prompt, input
            case maxTokens = "max_tokens"
            case temperature, seed, stop
        }

        /// Reads `prompt`, or `input` as LitServe's streaming examples send it.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            if let prompt = try container.decodeIfPresent(String.self, forKey: .prompt) {
                self.prompt = prompt
            } else if let input = try container.decodeIfPresent(String.self, forKey: .input) {
                self.prompt = input
            } else {
                throw DecodingError.keyNotFound(
                    CodingKeys.prompt,
                    .init(
                        codingPath: container.codingPath,
                        debugDescription: "a \"prompt\" or \"input\" string is required"
                    )
                )
            }
            maxTokens = try container.decodeIfPresent(Int.self, forKey: .maxTokens)
            temperature = try container.decodeIfPresent(Double.self, forKey: .temperature)
            seed = try container.decodeIfPresent(Int.self, forKey: .seed)
            stop = try container.decodeIfPresent([String].self, forKey: .stop)
        }
    }

    /// `{"token": "..."}`
    public struct Token: Encodable, Sendable {
        public var token: String
    }

    /// What ``predict(_:emit:)`` takes: the prompt and the options.
    public struct Input: Sendable {
        public var prompt: String
        public var options: TinyLM.Options
    }

    /// The pause before each token, to look like a real model.
    public var tokenDelay: Duration
    private var model: TinyLM?

    /// - Parameter tokenDelay: The pause before each token.
    public init(tokenDelay: Duration = .zero) { self.tokenDelay = tokenDelay }

    /// Builds the chain (once per worker).
    public mutating func setup(device: Device) throws { model = TinyLM() }

    public func decodeRequest(_ request: Request, context: RequestContext) throws -> Input {
        if let maxTokens = request.maxTokens, !(1...100_000).contains(maxTokens) {
            throw HTTPError(422, "max_tokens must be in 1...100000")
        }
        if let temperature = request.temperature, !(0...2).contains(temperature) {
            throw HTTPError(422, "temperature must be in 0...2")
        }
        if let stop = request.stop, stop.contains(where: \.isEmpty) {
            throw HTTPError(422, "stop sequences must not be empty")
        }
        let options = TinyLM.Options(
            maxTokens: request.maxTokens ?? 32,
            temperature: request.temperature ?? 1.0,
            seed: request.seed.map { UInt64(bitPattern: Int64($0)) },
            stop: request.stop ?? [],
            minimumWords: request.maxTokens ?? 32  // exactly max_tokens tokens, unless a stop sequence ends them
        )
        return Input(prompt: request.prompt, options: options)
    }

    public func predict(_ input: Input, emit: (String) throws -> Void) throws {
        guard let model else { throw HTTPError(503, "model not loaded") }
        try model.generate(prompt: input.prompt, options: input.options) { token in
            sleep(for: tokenDelay)
            try emit(token)
        }
    }

    public func encodeResponse(_ output: String) throws -> Token { Token(token: output) }
}

// MARK: - Served through the OpenAI spec

/// ``TinyLM`` as an OpenAI chat model, for `LitEndpoint.openAIChat(TinyLMChatAPI(), model: "tiny-lm")`.
///
/// - Text: continues the last user message (`max_completion_tokens`/`max_tokens`, `temperature`, `seed` and
///   `stop` are honoured), finishing with `stop` or `length` and the exact usage (one token per word).
/// - `response_format` `json_object` or `json_schema`: the same words inside `{"text":"..."}`.
/// - Tools: calls a tool when `tool_choice` is `required` or names a function, or, with `auto` (the default), when
///   the last user message mentions a tool's name. The arguments follow the tool's `parameters.properties`:
///   generated words for strings, a number from the seed for numbers and integers, `true` for booleans. They
///   stream in pieces, then the answer finishes with `tool_calls`.
public struct TinyLMChatAPI: ChatCompletionAPI {
    /// The pause before each token, to look like a real model.
    public var tokenDelay: Duration
    private var model: TinyLM?

    /// - Parameter tokenDelay: The pause before each token.
    public init(tokenDelay: Duration = .zero) { self.tokenDelay = tokenDelay }

    /// Builds the chain (once per worker).
    public mutating func setup(device: Device) throws { model = TinyLM() }

    public func predict(_ request: ChatCompletionRequest, emit: (ChatDelta) throws -> Void) throws {
        guard let model else { throw HTTPError(503, "model not loaded") }
        let prompt = request.messages.last(where: { $0.role == .user })?.text ?? request.messages.last!.text
        let promptTokens = request.messages.reduce(0) { $0 + TinyLMChatAPI.words(in: $1.text) }
        let seed = request.seed.map { UInt64(bitPattern: Int64($0)) } ?? TinyLM.fnv1a(prompt)
        let options = TinyLM.Options(
            maxTokens: min(request.tokenLimit ?? 64, 100_000),
            temperature: request.temperature ?? 1.0,
            seed: seed,
            stop: request.stop
        )

        if let tool = toolToCall(request, prompt: prompt) {
            let id = "call_" + String(seed ^ TinyLM.fnv1a(tool.name), radix: 36)
            try emit(ChatDelta(toolCalls: [ToolCallDelta(index: 0, id: id, name: tool.name, arguments: "")]))
            var tokens = 1
            for piece in arguments(for: tool, model: model, seed: seed) {
                sleep(for: tokenDelay)
                try emit(ChatDelta(toolCalls: [ToolCallDelta(index: 0, arguments: piece)]))
                tokens += 1
            }
            try emit(.finish(.toolCalls, usage: TokenUsage(promptTokens: promptTokens, completionTokens: tokens)))
            return
        }

        let json: Bool
        switch request.responseFormat {
        case .jsonObject?, .jsonSchema?: json = true
        default: json = false
        }
        if json { try emit(.text(#"{"text":""#)) }
        var first = true
        let (ending, tokens) = try model.generate(prompt: prompt, options: options) { token in
            sleep(for: tokenDelay)
            let text = first ? String(token.trimmingPrefix(" ")) : token  // an answer, not a continuation
            first = false
            try emit(.text(json ? TinyLMChatAPI.escaped(text) : text))
        }
        if json { try emit(.text(#""}"#)) }
        try emit(
            .finish(
                ending == .length ? .length : .stop,
                usage: TokenUsage(promptTokens: promptTokens, completionTokens: tokens)
            )
        )
    }

    /// The tool to call, if any.
    func toolToCall(_ request: ChatCompletionRequest, prompt: String) -> ChatTool.Function? {
        guard !request.tools.isEmpty else { return nil }
        switch request.toolChoice ?? .auto {
        case .none:
            return nil
        case .required:
            return request.tools[0].function
        case .function(let name):
            return request.tools.first { $0.function.name == name }?.function
        case .auto:
            let text = prompt.lowercased()
            return request.tools.first { tool in
                let name = tool.function.name.lowercased()
                return text.contains(name) || text.contains(name.replacing("_", with: " "))
            }?.function
        }
    }

    /// The arguments' JSON text in pieces: `{`, then one `"name":value` per property, then `}`.
    func arguments(for tool: ChatTool.Function, model: TinyLM, seed: UInt64) -> [String] {
        let properties = tool.parameters?["properties"]?.objectValue ?? [:]
        var pieces = ["{"]
        for (index, name) in properties.keys.sorted().enumerated() {
            let type = properties[name]?["type"]?.stringValue ?? "string"
            let propertySeed = seed ^ TinyLM.fnv1a(name)
            let value: String
            switch type {
            case "integer": value = String(propertySeed % 100)
            case "number": value = String(Double(propertySeed % 1000) / 10)
            case "boolean": value = "true"
            case "string":
                var text = ""
                model.generate(
                    prompt: name,
                    options: TinyLM.Options(maxTokens: 3, seed: propertySeed, minimumWords: 3)
                ) { text += $0 }
                value = "\"" + TinyLMChatAPI.escaped(String(text.trimmingPrefix(" "))) + "\""
            default: value = "null"
            }
            pieces.append((index > 0 ? ", " : "") + "\"\(TinyLMChatAPI.escaped(name))\": " + value)
        }
        pieces.append("}")
        return pieces
    }

    /// `text` escaped for the inside of a JSON string.
    static func escaped(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 {
                    out += "\\u00" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// Whitespace-separated words.
    static func words(in text: String) -> Int {
        text.split(whereSeparator: \.isWhitespace).count
    }
}

// MARK: - The text

extension TinyLM {
    /// The opening of *Alice's Adventures in Wonderland*, chapter I, "Down the Rabbit-Hole" (Lewis Carroll, 1865;
    /// public domain).
    public static let text = """
        Alice was beginning to get very tired of sitting by her sister on the bank, and of having nothing to do: \
        once or twice she had peeped into the book her sister was reading, but it had no pictures or \
        conversations in it, 'and what is the use of a book,' thought Alice 'without pictures or conversations?'

        So she was considering in her own mind (as well as she could, for the hot day made her feel very sleepy \
        and stupid), whether the pleasure of making a daisy-chain would be worth the trouble of getting up and \
        picking the daisies, when suddenly a White Rabbit with pink eyes ran close by her.

        There was nothing so very remarkable in that; nor did Alice think it so very much out of the way to hear \
        the Rabbit say to itself, 'Oh dear! Oh dear! I shall be late!' (when she thought it over afterwards, it \
        occurred to her that she ought to have wondered at this, but at the time it all seemed quite natural); \
        but when the Rabbit actually took a watch out of its waistcoat-pocket, and looked at it, and then hurried \
        on, Alice started to her feet, for it flashed across her mind that she had never before seen a rabbit \
        with either a waistcoat-pocket, or a watch to take out of it, and burning with curiosity, she ran across \
        the field after it, and fortunately was just in time to see it pop down a large rabbit-hole under the \
        hedge.

        In another moment down went Alice after it, never once considering how in the world she was to get out \
        again.

        The rabbit-hole went straight on like a tunnel for some way, and then dipped suddenly down, so suddenly \
        that Alice had not a moment to think about stopping herself before she found herself falling down a very \
        deep well.

        Either the well was very deep, or she fell very slowly, for she had plenty of time as she went down to \
        look about her and to wonder what was going to happen next. First, she tried to look down and make out \
        what she was coming to, but it was too dark to see anything; then she looked at the sides of the well, \
        and noticed that they were filled with cupboards and book-shelves; here and there she saw maps and \
        pictures hung upon pegs. She took down a jar from one of the shelves as she passed; it was labelled \
        'ORANGE MARMALADE', but to her great disappointment it was empty: she did not like to drop the jar for \
        fear of killing somebody underneath, so managed to put it into one of the cupboards as she fell past it.

        'Well!' thought Alice to herself, 'after such a fall as this, I shall think nothing of tumbling down \
        stairs! How brave they'll all think me at home! Why, I wouldn't say anything about it, even if I fell off \
        the top of the house!' (Which was very likely true.)

        Down, down, down. Would the fall never come to an end? 'I wonder how many miles I've fallen by this \
        time?' she said aloud. 'I must be getting somewhere near the centre of the earth. Let me see: that would \
        be four thousand miles down, I think--' (for, you see, Alice had learnt several things of this sort in \
        her lessons in the schoolroom, and though this was not a very good opportunity for showing off her \
        knowledge, as there was no one to listen to her, still it was good practice to say it over) '--yes, \
        that's about the right distance--but then I wonder what Latitude or Longitude I've got to?' (Alice had no \
        idea what Latitude was, or Longitude either, but thought they were nice grand words to say.)

        Presently she began again. 'I wonder if I shall fall right through the earth! How funny it'll seem to \
        come out among the people that walk with their heads downward! The Antipathies, I think--' (she was \
        rather glad there was no one listening, this time, as it didn't sound at all the right word) '--but I \
        shall have to ask them what the name of the country is, you know. Please, Ma'am, is this New Zealand or \
        Australia?' (and she tried to curtsey as she spoke--fancy curtseying as you're falling through the air! \
        Do you think you could manage it?) 'And what an ignorant little girl she'll think me for asking! No, \
        it'll never do to ask: perhaps I shall see it written up somewhere.'
        """
}
