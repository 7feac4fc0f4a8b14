import LitUV

/// The body of `POST /v1/chat/completions`, as OpenAI documents it, validated.
///
/// Unknown fields are ignored; `null` counts as absent. Invalid values are answered 400 with an OpenAI error body
/// naming the parameter (``OpenAIError``). Only `n == 1` is supported.
public struct ChatCompletionRequest: Sendable, Hashable {
    /// The model the client asked for.
    public var model: String
    /// The conversation so far; never empty.
    public var messages: [ChatMessage]
    /// Sampling temperature, 0...2.
    public var temperature: Double?
    /// Nucleus sampling mass, 0...1.
    public var topP: Double?
    /// The deprecated `max_tokens`, at least 1.
    public var maxTokens: Int?
    /// `max_completion_tokens`, at least 1.
    public var maxCompletionTokens: Int?
    /// Stop sequences (`stop` as a string or up to 4 strings), empty when none.
    public var stop: [String]
    /// Whether the answer streams as server-sent events.
    public var stream: Bool
    /// `stream_options.include_usage`: a last chunk with token usage (only with `stream`).
    public var includeUsage: Bool
    /// Tools the model may call, empty when none.
    public var tools: [ChatTool]
    /// How the model should choose tools.
    public var toolChoice: ToolChoice?
    /// `parallel_tool_calls`.
    public var parallelToolCalls: Bool?
    /// `response_format`.
    public var responseFormat: ResponseFormat?
    /// `user`: the end user's id.
    public var user: String?
    /// `metadata`: up to 16 string pairs.
    public var metadata: [String: String]
    /// `seed`, for deterministic sampling.
    public var seed: Int?
    /// `presence_penalty`, -2...2.
    public var presencePenalty: Double?
    /// `frequency_penalty`, -2...2.
    public var frequencyPenalty: Double?

    /// The completion length limit: `max_completion_tokens`, else `max_tokens`, else nil.
    public var tokenLimit: Int? { maxCompletionTokens ?? maxTokens }

    /// Creates a request (for tests and direct calls; requests from clients are decoded).
    public init(
        model: String,
        messages: [ChatMessage],
        temperature: Double? = nil,
        topP: Double? = nil,
        maxTokens: Int? = nil,
        maxCompletionTokens: Int? = nil,
        stop: [String] = [],
        stream: Bool = false,
        includeUsage: Bool = false,
        tools: [ChatTool] = [],
        toolChoice: ToolChoice? = nil,
        parallelToolCalls: Bool? = nil,
        responseFormat: ResponseFormat? = nil,
        user: String? = nil,
        metadata: [String: String] = [:],
        seed: Int? = nil,
        presencePenalty: Double? = nil,
        frequencyPenalty: Double? = nil
    ) {
        self.model = model
        self.messages = messages
        self.temperature = temperature
        self.topP = topP
        self.maxTokens = maxTokens
        self.maxCompletionTokens = maxCompletionTokens
        self.stop = stop
        self.stream = stream
        self.includeUsage = includeUsage
        self.tools = tools
        self.toolChoice = toolChoice
        self.parallelToolCalls = parallelToolCalls
        self.responseFormat = responseFormat
        self.user = user
        self.metadata = metadata
        self.seed = seed
        self.presencePenalty = presencePenalty
        self.frequencyPenalty = frequencyPenalty
    }

    /// Reads and validates a request from its decoded JSON body.
    /// - Throws: ``OpenAIError`` (400) naming the invalid parameter.
    public init(json: JSONValue) throws(OpenAIError) {
        let body = try RequestReader(json, path: "")
        guard let model = try body.string("model") else {
            throw OpenAIError.invalidRequest("You must provide a model parameter.", param: "model")
        }
        self.model = model

        guard let rawMessages = try body.array("messages") else { throw OpenAIError.missing("messages") }
        guard !rawMessages.isEmpty else {
            throw OpenAIError.invalidValue(
                "messages",
                "expected an array with at least 1 message, but got an empty array."
            )
        }
        var messages: [ChatMessage] = []
        messages.reserveCapacity(rawMessages.count)
        for (index, raw) in rawMessages.enumerated() {
            messages.append(try ChatMessage(json: raw, path: "messages[\(index)]"))
        }
        self.messages = messages

        if let n = try body.int("n"), n != 1 {
            throw OpenAIError.invalidValue("n", "\(n). Only n=1 is supported.")
        }
        temperature = try body.double("temperature", in: 0...2)
        topP = try body.double("top_p", in: 0...1)
        maxTokens = try body.int("max_tokens", minimum: 1)
        maxCompletionTokens = try body.int("max_completion_tokens", minimum: 1)
        presencePenalty = try body.double("presence_penalty", in: -2...2)
        frequencyPenalty = try body.double("frequency_penalty", in: -2...2)
        seed = try body.int("seed")
        user = try body.string("user")
        parallelToolCalls = try body.bool("parallel_tool_calls")

        switch body.value("stop") {
        case nil:
            stop = []
        case .string(let text)?:
            stop = [text]
        case .array(let elements)?:
            guard elements.count <= 4 else {
                throw OpenAIError.invalidValue("stop", "expected at most 4 stop sequences, but got \(elements.count).")
            }
            stop = []
            for (index, element) in elements.enumerated() {
                guard case .string(let text) = element else {
                    throw OpenAIError.invalidType("stop[\(index)]", expected: "a string")
                }
                stop.append(text)
            }
        case _?:
            throw OpenAIError.invalidType("stop", expected: "a string or an array of strings")
        }
        if stop.contains(where: \.isEmpty) {
            throw OpenAIError.invalidValue("stop", "stop sequences must not be empty.")
        }

        stream = try body.bool("stream") ?? false
        if let options = try body.object("stream_options") {
            guard stream else {
                throw OpenAIError.invalidRequest(
                    "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
                    param: "stream_options"
                )
            }
            includeUsage = try options.bool("include_usage") ?? false
        } else {
            includeUsage = false
        }

        var tools: [ChatTool] = []
        for (index, raw) in (try body.array("tools") ?? []).enumerated() {
            tools.append(try ChatTool(json: raw, path: "tools[\(index)]"))
        }
        self.tools = tools

        switch body.value("tool_choice") {
        case nil:
            toolChoice = nil
        case .string(let text)?:
            switch text {
            case "none": toolChoice = ToolChoice.none
            case "auto": toolChoice = .auto
            case "required": toolChoice = .required
            default:
                throw OpenAIError.invalidValue(
                    "tool_choice",
                    "'\(text)'. Supported values are: 'none', 'auto', and 'required'."
                )
            }
        case let raw?:
            let choice = try RequestReader(raw, path: "tool_choice", what: "a string or an object")
            guard try choice.choice("type", ["function"]) != nil else { throw OpenAIError.missing("tool_choice.type") }
            guard let function = try choice.object("function") else {
                throw OpenAIError.missing("tool_choice.function")
            }
            let name = try function.requiredString("name")
            guard tools.contains(where: { $0.function.name == name }) else {
                throw OpenAIError.invalidValue("tool_choice", "no tool named '\(name)' is in 'tools'.")
            }
            toolChoice = .function(name: name)
        }
        if toolChoice != nil, tools.isEmpty {
            throw OpenAIError.invalidRequest(
                "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
                param: "tool_choice"
            )
        }

        if let format = try body.object("response_format") {
            switch try format.choice("type", ["text", "json_object", "json_schema"]) {
            case nil: throw OpenAIError.missing("response_format.type")
            case "text": responseFormat = .text
            case "json_object": responseFormat = .jsonObject
            default:
                guard let schema = try format.object("json_schema") else {
                    throw OpenAIError.missing("response_format.json_schema")
                }
                let name = try schema.requiredString("name")
                try ChatTool.checkName(name, param: schema.param("name"))
                responseFormat = .jsonSchema(
                    name: name,
                    description: try schema.string("description"),
                    schema: schema.value("schema"),
                    strict: try schema.bool("strict")
                )
            }
        } else {
            responseFormat = nil
        }

        var metadata: [String: String] = [:]
        if let raw = try body.object("metadata") {
            guard raw.members.count <= 16 else {
                throw OpenAIError.invalidValue("metadata", "expected at most 16 keys, but got \(raw.members.count).")
            }
            for key in raw.members.keys.sorted() {
                guard key.count <= 64 else {
                    throw OpenAIError.invalidValue("metadata", "key '\(key)' is longer than 64 characters.")
                }
                guard let value = try raw.string(key) else { continue }
                guard value.count <= 512 else {
                    throw OpenAIError.invalidValue("metadata.\(key)", "longer than 512 characters.")
                }
                metadata[key] = value
            }
        }
        self.metadata = metadata
    }
}

extension ChatCompletionRequest: Decodable {
    /// Decodes and validates; the error thrown for an invalid request is an ``OpenAIError``.
    public init(from decoder: any Decoder) throws {
        try self.init(json: JSONValue(from: decoder))
    }
}

/// One message of a conversation.
public struct ChatMessage: Sendable, Hashable {
    /// Who wrote a message.
    public enum Role: String, Sendable, Hashable, CaseIterable {
        case system, developer, user, assistant, tool, function
    }

    /// The author.
    public var role: Role
    /// The content: a string or content parts; nil for an assistant message that only calls tools.
    public var content: MessageContent?
    /// The participant's name.
    public var name: String?
    /// Tools an assistant message called, empty when none.
    public var toolCalls: [ToolCall]
    /// The call a `tool` message answers.
    public var toolCallID: String?

    /// The text of the content: the string, or every text part joined by newlines; empty when none.
    public var text: String {
        switch content {
        case nil: ""
        case .text(let text)?: text
        case .parts(let parts)?:
            parts.compactMap { part -> String? in
                if case .text(let text) = part { return text }
                return nil
            }.joined(separator: "\n")
        }
    }

    /// Creates a message.
    public init(
        role: Role,
        content: MessageContent?,
        name: String? = nil,
        toolCalls: [ToolCall] = [],
        toolCallID: String? = nil
    ) {
        self.role = role
        self.content = content
        self.name = name
        self.toolCalls = toolCalls
        self.toolCallID = toolCallID
    }

    /// A message with text content.
    public init(role: Role, _ text: String) {
        self.init(role: role, content: .text(text))
    }

    init(json: JSONValue, path: String) throws(OpenAIError) {
        let message = try RequestReader(json, path: path)
        let roleName = try message.requiredString("role")
        guard let role = Role(rawValue: roleName) else {
            throw OpenAIError.invalidValue(
                message.param("role"),
                "'\(roleName)'. Supported values are: \(RequestReader.list(Role.allCases.map(\.rawValue)))."
            )
        }
        self.role = role
        name = try message.string("name")
        toolCallID = try message.string("tool_call_id")

        switch message.value("content") {
        case nil:
            content = nil
        case .string(let text)?:
            content = .text(text)
        case .array(let elements)?:
            var parts: [ContentPart] = []
            for (index, element) in elements.enumerated() {
                parts.append(try ContentPart(json: element, path: message.param("content") + "[\(index)]"))
            }
            content = .parts(parts)
        case _?:
            throw OpenAIError.invalidType(message.param("content"), expected: "a string or an array of content parts")
        }

        var toolCalls: [ToolCall] = []
        for (index, raw) in (try message.array("tool_calls") ?? []).enumerated() {
            let call = try RequestReader(raw, path: message.param("tool_calls") + "[\(index)]")
            _ = try call.choice("type", ["function"])
            guard let function = try call.object("function") else { throw OpenAIError.missing(call.param("function")) }
            toolCalls.append(
                ToolCall(
                    id: try call.requiredString("id"),
                    name: try function.requiredString("name"),
                    arguments: try function.string("arguments") ?? ""
                )
            )
        }
        self.toolCalls = toolCalls

        switch role {
        case .assistant:
            if content == nil, toolCalls.isEmpty, try message.string("refusal") == nil {
                throw OpenAIError.invalidRequest(
                    "Invalid value for '\(message.param("content"))': an assistant message needs 'content' or "
                        + "'tool_calls'.",
                    param: message.param("content")
                )
            }
        case .tool:
            guard toolCallID != nil else { throw OpenAIError.missing(message.param("tool_call_id")) }
            guard content != nil else { throw OpenAIError.missing(message.param("content")) }
        default:
            guard content != nil else { throw OpenAIError.missing(message.param("content")) }
        }
    }
}

/// A message's content.
public enum MessageContent: Sendable, Hashable {
    /// Plain text.
    case text(String)
    /// Content parts (text, images, audio, files).
    case parts([ContentPart])
}

/// One part of a message's content.
public enum ContentPart: Sendable, Hashable {
    /// `{"type":"text","text":...}`
    case text(String)
    /// `{"type":"image_url","image_url":{"url":...,"detail":...}}`
    case imageURL(url: String, detail: String?)
    /// `{"type":"input_audio","input_audio":{"data":<base64>,"format":"wav"|"mp3"}}`
    case inputAudio(data: String, format: String)
    /// `{"type":"file","file":{...}}`: the `file` object as sent.
    case file(JSONValue)
    /// `{"type":"refusal","refusal":...}` (assistant messages)
    case refusal(String)

    init(json: JSONValue, path: String) throws(OpenAIError) {
        let part = try RequestReader(json, path: path)
        let types = ["text", "image_url", "input_audio", "file", "refusal"]
        guard let type = try part.choice("type", types) else { throw OpenAIError.missing(part.param("type")) }
        switch type {
        case "text":
            self = .text(try part.requiredString("text"))
        case "image_url":
            guard let image = try part.object("image_url") else { throw OpenAIError.missing(part.param("image_url")) }
            self = .imageURL(
                url: try image.requiredString("url"),
                detail: try image.choice("detail", ["auto", "low", "high"])
            )
        case "input_audio":
            guard let audio = try part.object("input_audio") else {
                throw OpenAIError.missing(part.param("input_audio"))
            }
            self = .inputAudio(data: try audio.requiredString("data"), format: try audio.requiredString("format"))
        case "file":
            guard let file = try part.object("file") else { throw OpenAIError.missing(part.param("file")) }
            self = .file(.object(file.members))
        default:
            self = .refusal(try part.requiredString("refusal"))
        }
    }
}

/// A tool the model may call: `{"type":"function","function":{"name":...,"description":...,"parameters":{...}}}`.
public struct ChatTool: Sendable, Hashable {
    /// The function a tool exposes.
    public struct Function: Sendable, Hashable {
        /// `^[a-zA-Z0-9_-]{1,64}$`
        public var name: String
        /// What the function does, for the model.
        public var description: String?
        /// The arguments' JSON Schema.
        public var parameters: JSONValue?
        /// Whether the arguments must follow the schema exactly.
        public var strict: Bool?

        /// Creates a function description.
        public init(name: String, description: String? = nil, parameters: JSONValue? = nil, strict: Bool? = nil) {
            self.name = name
            self.description = description
            self.parameters = parameters
            self.strict = strict
        }
    }

    /// The function.
    public var function: Function

    /// Creates a function tool.
    public init(function: Function) { self.function = function }

    init(json: JSONValue, path: String) throws(OpenAIError) {
        let tool = try RequestReader(json, path: path)
        guard try tool.choice("type", ["function"]) != nil else { throw OpenAIError.missing(tool.param("type")) }
        guard let function = try tool.object("function") else { throw OpenAIError.missing(tool.param("function")) }
        let name = try function.requiredString("name")
        try ChatTool.checkName(name, param: function.param("name"))
        var parameters: JSONValue? = nil
        if let raw = function.value("parameters") {
            _ = try RequestReader(raw, path: function.param("parameters"))
            parameters = raw
        }
        self.function = Function(
            name: name,
            description: try function.string("description"),
            parameters: parameters,
            strict: try function.bool("strict")
        )
    }

    /// Function and schema names: 1 to 64 of `a-z A-Z 0-9 _ -`.
    static func checkName(_ name: String, param: String) throws(OpenAIError) {
        let valid =
            (1...64).contains(name.utf8.count)
            && name.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                    || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                    || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            }
        guard valid else {
            throw OpenAIError.invalidValue(
                param,
                "'\(name)'. Expected a string that matches the pattern '^[a-zA-Z0-9_-]{1,64}$'."
            )
        }
    }
}

/// `tool_choice`.
public enum ToolChoice: Sendable, Hashable {
    /// Never call a tool.
    case none
    /// The model decides.
    case auto
    /// Call at least one tool.
    case required
    /// Call this function.
    case function(name: String)
}

/// `response_format`.
public enum ResponseFormat: Sendable, Hashable {
    /// Plain text.
    case text
    /// Any JSON object.
    case jsonObject
    /// JSON following a schema.
    case jsonSchema(name: String, description: String?, schema: JSONValue?, strict: Bool?)
}

/// A tool call made by the model (in an assistant message of a request, or in an answer).
public struct ToolCall: Sendable, Hashable {
    /// The call's id, answered by a `tool` message's `tool_call_id`.
    public var id: String
    /// The function's name.
    public var name: String
    /// The arguments, as a JSON text.
    public var arguments: String

    /// Creates a call.
    public init(id: String, name: String, arguments: String) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }
}
