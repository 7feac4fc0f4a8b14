import LitUV

/// One step of a chat model's answer: what an OpenAI-spec API emits from `predict`.
///
/// Emit text as it is produced (`ChatDelta(content: " word")`), tool calls in fragments (`ToolCallDelta`), and
/// optionally a last delta with a ``finishReason`` and the real ``usage``. The spec turns the deltas into
/// `chat.completion.chunk` events when the client streams, or into one `chat.completion` otherwise.
public struct ChatDelta: Sendable, Hashable {
    /// Text to append to the answer.
    public var content: String?
    /// Tool call fragments.
    public var toolCalls: [ToolCallDelta]
    /// Why the answer ended. Default when never given: `tool_calls` if the model called a tool, else `stop`.
    public var finishReason: FinishReason?
    /// Exact token counts. When never given, the spec estimates them: prompt tokens are the whitespace-separated
    /// words of the messages, completion tokens the number of deltas that carried text or tool call fragments.
    public var usage: TokenUsage?

    /// Creates a delta.
    public init(
        content: String? = nil,
        toolCalls: [ToolCallDelta] = [],
        finishReason: FinishReason? = nil,
        usage: TokenUsage? = nil
    ) {
        self.content = content
        self.toolCalls = toolCalls
        self.finishReason = finishReason
        self.usage = usage
    }

    /// A delta carrying text.
    public static func text(_ content: String) -> ChatDelta { ChatDelta(content: content) }

    /// A delta that ends the answer.
    public static func finish(_ reason: FinishReason, usage: TokenUsage? = nil) -> ChatDelta {
        ChatDelta(finishReason: reason, usage: usage)
    }

    /// Whether the delta carries something the client sees as a chunk (text or a tool call fragment).
    var isVisible: Bool { !(content ?? "").isEmpty || !toolCalls.isEmpty }
}

extension ChatDelta: Encodable {
    private enum CodingKeys: String, CodingKey {
        case content
        case toolCalls = "tool_calls"
        case finishReason = "finish_reason"
        case usage
    }

    /// Encodes as an OpenAI `delta` object (plus `finish_reason` and `usage` when set), for serving a chat model
    /// as plain NDJSON.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(content, forKey: .content)
        if !toolCalls.isEmpty { try container.encode(toolCalls, forKey: .toolCalls) }
        try container.encodeIfPresent(finishReason?.rawValue, forKey: .finishReason)
        try container.encodeIfPresent(usage, forKey: .usage)
    }
}

/// A fragment of a tool call, as OpenAI streams them: the first fragment of call `index` carries its `id` and
/// function `name`, later ones carry pieces of `arguments` (a JSON text) to append.
public struct ToolCallDelta: Sendable, Hashable {
    /// Which call of this answer the fragment belongs to, from 0.
    public var index: Int
    /// The call's id (first fragment). When a model never gives one, the spec makes one up.
    public var id: String?
    /// The function's name (first fragment).
    public var name: String?
    /// A piece of the arguments' JSON text.
    public var arguments: String?

    /// Creates a fragment.
    public init(index: Int, id: String? = nil, name: String? = nil, arguments: String? = nil) {
        self.index = index
        self.id = id
        self.name = name
        self.arguments = arguments
    }
}

extension ToolCallDelta: Encodable {
    private enum CodingKeys: String, CodingKey { case index, id, type, function }
    private enum FunctionKeys: String, CodingKey { case name, arguments }

    /// Encodes as OpenAI's `delta.tool_calls[]` element.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(index, forKey: .index)
        if let id {
            try container.encode(id, forKey: .id)
            try container.encode("function", forKey: .type)
        }
        if name != nil || arguments != nil {
            var function = container.nestedContainer(keyedBy: FunctionKeys.self, forKey: .function)
            try function.encodeIfPresent(name, forKey: .name)
            try function.encodeIfPresent(arguments, forKey: .arguments)
        }
    }
}

/// Why an answer ended (`finish_reason`).
public enum FinishReason: String, Sendable, Hashable, CaseIterable {
    /// A natural end or a stop sequence.
    case stop
    /// The token limit.
    case length
    /// The model called tools.
    case toolCalls = "tool_calls"
    /// Content was filtered.
    case contentFilter = "content_filter"
}

/// Token counts (`usage`).
public struct TokenUsage: Sendable, Hashable, Codable {
    /// Tokens in the prompt.
    public var promptTokens: Int
    /// Tokens generated.
    public var completionTokens: Int
    /// Their sum.
    public var totalTokens: Int { promptTokens + completionTokens }

    /// Creates counts.
    public init(promptTokens: Int, completionTokens: Int) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
    }

    private enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens"
        case completionTokens = "completion_tokens"
        case totalTokens = "total_tokens"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        promptTokens = try container.decode(Int.self, forKey: .promptTokens)
        completionTokens = try container.decode(Int.self, forKey: .completionTokens)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(promptTokens, forKey: .promptTokens)
        try container.encode(completionTokens, forKey: .completionTokens)
        try container.encode(totalTokens, forKey: .totalTokens)
    }

    /// `{"prompt_tokens":P,"completion_tokens":C,"total_tokens":T}`
    func write(to json: inout JSONBytes) {
        json.raw(#"{"prompt_tokens":"#)
        json.int(promptTokens)
        json.raw(#","completion_tokens":"#)
        json.int(completionTokens)
        json.raw(#","total_tokens":"#)
        json.int(totalTokens)
        json.raw("}")
    }
}

/// Rough token counts for usage when a model reports none.
enum TokenEstimate {
    /// The number of whitespace-separated words in `text`.
    static func words(in text: String) -> Int {
        var count = 0
        var inWord = false
        for byte in text.utf8 {
            let space = byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D
            if !space && !inWord { count += 1 }
            inWord = !space
        }
        return count
    }

    /// The words of every message's text (and tool call arguments).
    static func prompt(_ messages: [ChatMessage]) -> Int {
        messages.reduce(0) { sum, message in
            sum + words(in: message.text) + message.toolCalls.reduce(0) { $0 + words(in: $1.arguments) }
        }
    }
}
