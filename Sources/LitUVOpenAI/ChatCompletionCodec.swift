import LitUV

#if canImport(Glibc)
import Glibc
#endif

/// Frames a chat model's ``ChatDelta``s as OpenAI chat completions.
///
/// - `stream: true`: `text/event-stream`; every event is `data: {chat.completion.chunk}\n\n` and every chunk of
///   one answer shares ONE id and `created`. The first chunk carries `role: "assistant"`; a last chunk has an empty
///   delta and the `finish_reason`; with `stream_options.include_usage` every chunk has `"usage":null` and one more
///   chunk with `"choices":[]` carries the usage; then `data: [DONE]\n\n`.
/// - otherwise: nothing is sent until the model finished; then one `chat.completion` with `usage`.
///
/// Bodies are rendered directly into bytes: a streamed token costs its escaped text plus a prefix computed once
/// per request.
struct ChatCompletionCodec<API: LitStreamingAPI>: StreamingCodec
where API.Request == ChatCompletionRequest, API.Output == ChatDelta {
    /// A tool call being assembled for a non-streamed answer.
    struct PendingToolCall {
        var index: Int
        var id: String?
        var name: String
        var arguments: String
    }

    struct State {
        let stream: Bool
        let includeUsage: Bool
        /// `chatcmpl-…`
        let id: String
        /// `{"id":"…","object":"chat.completion.chunk","created":…,"model":"…","choices":[` for streams,
        /// `{"id":"…","object":"chat.completion","created":…,"model":"…","choices":[` otherwise.
        let head: [UInt8]
        /// Whether the first chunk (with the role) was sent.
        var sentFirst = false
        /// Tool call indices whose first fragment was sent (streams).
        var startedToolCalls: [Int] = []
        /// The whole text (non-streamed answers).
        var text = ""
        /// The tool calls (non-streamed answers), by first appearance.
        var toolCalls: [PendingToolCall] = []
        var calledTools = false
        var finishReason: FinishReason?
        var reportedUsage: TokenUsage?
        let estimatedPromptTokens: Int
        var deltaCount = 0

        var usage: TokenUsage {
            reportedUsage ?? TokenUsage(promptTokens: estimatedPromptTokens, completionTokens: deltaCount)
        }

        var finalReason: FinishReason { finishReason ?? (calledTools ? .toolCalls : .stop) }

        /// The id for tool call `index` when the model gave none: unique within the answer.
        func madeUpToolCallID(_ index: Int) -> String {
            "call_\(id.dropFirst("chatcmpl-".count))_\(index)"
        }
    }

    func decode(body: [UInt8], context: RequestContext, api: API) throws -> (API.Input, State) {
        let json = try JSONValue(parsing: body)
        let request = try ChatCompletionRequest(json: json)
        let input = try api.decodeRequest(request, context: context)
        return (input, ChatCompletionCodec.makeState(for: request))
    }

    static func makeState(
        for request: ChatCompletionRequest,
        id: String = OpenAIIDs.chatCompletion(),
        created: Int = OpenAIIDs.now()
    ) -> State {
        var head = JSONBytes(capacity: 128)
        head.raw(#"{"id":"#)
        head.string(id)
        if request.stream {
            head.raw(#","object":"chat.completion.chunk","created":"#)
        } else {
            head.raw(#","object":"chat.completion","created":"#)
        }
        head.int(created)
        head.raw(#","model":"#)
        head.string(request.model)
        head.raw(#","choices":["#)
        return State(
            stream: request.stream,
            includeUsage: request.stream && request.includeUsage,
            id: id,
            head: head.bytes,
            estimatedPromptTokens: TokenEstimate.prompt(request.messages)
        )
    }

    func isStreamed(_ state: State) -> Bool { state.stream }

    func contentType(_ state: State) -> StreamContentType { state.stream ? .eventStream : .json }

    func encode(_ output: ChatDelta, state: inout State, api: API) throws -> [UInt8] {
        if let reason = output.finishReason { state.finishReason = reason }
        if let usage = output.usage { state.reportedUsage = usage }
        guard output.isVisible else { return [] }
        state.deltaCount += 1
        if !output.toolCalls.isEmpty { state.calledTools = true }
        guard state.stream else {
            aggregate(output, into: &state)
            return []
        }
        var json = JSONBytes(capacity: state.head.count + 96 + (output.content?.utf8.count ?? 0))
        json.raw(ServerSentEvents.dataPrefix)
        json.raw(state.head)
        json.raw(#"{"index":0,"delta":{"#)
        var needsComma = false
        if !state.sentFirst {
            json.raw(#""role":"assistant""#)
            state.sentFirst = true
            needsComma = true
        }
        if let content = output.content, !content.isEmpty {
            if needsComma { json.raw(",") }
            json.raw(#""content":"#)
            json.string(content)
            needsComma = true
        }
        if !output.toolCalls.isEmpty {
            if needsComma { json.raw(",") }
            json.raw(#""tool_calls":["#)
            for (position, call) in output.toolCalls.enumerated() {
                if position > 0 { json.raw(",") }
                writeStreamed(call, to: &json, state: &state)
            }
            json.raw("]")
        }
        json.raw(#"},"logprobs":null,"finish_reason":null}]"#)
        if state.includeUsage { json.raw(#","usage":null"#) }
        json.raw("}")
        json.raw(ServerSentEvents.eventEnd)
        return json.bytes
    }

    /// `{"index":i,"id":"…","type":"function","function":{"name":"…","arguments":"…"}}`, with id, type and name
    /// only in a call's first fragment (the spec makes an id up when the model gave none).
    private func writeStreamed(_ call: ToolCallDelta, to json: inout JSONBytes, state: inout State) {
        json.raw(#"{"index":"#)
        json.int(call.index)
        let first = !state.startedToolCalls.contains(call.index)
        if first { state.startedToolCalls.append(call.index) }
        if let id = call.id ?? (first ? state.madeUpToolCallID(call.index) : nil) {
            json.raw(#","id":"#)
            json.string(id)
            json.raw(#","type":"function""#)
        }
        let name = call.name ?? (first ? "" : nil)
        let arguments = call.arguments ?? (first ? "" : nil)
        if name != nil || arguments != nil {
            json.raw(#","function":{"#)
            if let name {
                json.raw(#""name":"#)
                json.string(name)
            }
            if let arguments {
                if name != nil { json.raw(",") }
                json.raw(#""arguments":"#)
                json.string(arguments)
            }
            json.raw("}")
        }
        json.raw("}")
    }

    private func aggregate(_ output: ChatDelta, into state: inout State) {
        if let content = output.content { state.text += content }
        for call in output.toolCalls {
            if let position = state.toolCalls.firstIndex(where: { $0.index == call.index }) {
                if let id = call.id { state.toolCalls[position].id = id }
                if let name = call.name { state.toolCalls[position].name += name }
                if let arguments = call.arguments { state.toolCalls[position].arguments += arguments }
            } else {
                state.toolCalls.append(
                    PendingToolCall(
                        index: call.index,
                        id: call.id,
                        name: call.name ?? "",
                        arguments: call.arguments ?? ""
                    )
                )
            }
        }
    }

    func end(state: inout State) throws -> [UInt8] {
        var json = JSONBytes(capacity: 2 * state.head.count + 256 + state.text.utf8.count)
        guard state.stream else {
            json.raw(state.head)
            json.raw(#"{"index":0,"message":{"role":"assistant","content":"#)
            if state.text.isEmpty && !state.toolCalls.isEmpty {
                json.raw("null")
            } else {
                json.string(state.text)
            }
            if !state.toolCalls.isEmpty {
                json.raw(#","tool_calls":["#)
                for (position, call) in state.toolCalls.sorted(by: { $0.index < $1.index }).enumerated() {
                    if position > 0 { json.raw(",") }
                    json.raw(#"{"id":"#)
                    json.string(call.id ?? state.madeUpToolCallID(call.index))
                    json.raw(#","type":"function","function":{"name":"#)
                    json.string(call.name)
                    json.raw(#","arguments":"#)
                    json.string(call.arguments)
                    json.raw("}}")
                }
                json.raw("]")
            }
            json.raw(#"},"logprobs":null,"finish_reason":"#)
            json.string(state.finalReason.rawValue)
            json.raw(#"}],"usage":"#)
            state.usage.write(to: &json)
            json.raw("}")
            return json.bytes
        }
        if !state.sentFirst {
            json.raw(ServerSentEvents.dataPrefix)
            json.raw(state.head)
            json.raw(#"{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]"#)
            if state.includeUsage { json.raw(#","usage":null"#) }
            json.raw("}")
            json.raw(ServerSentEvents.eventEnd)
            state.sentFirst = true
        }
        json.raw(ServerSentEvents.dataPrefix)
        json.raw(state.head)
        json.raw(#"{"index":0,"delta":{},"logprobs":null,"finish_reason":"#)
        json.string(state.finalReason.rawValue)
        json.raw("}]")
        if state.includeUsage { json.raw(#","usage":null"#) }
        json.raw("}")
        json.raw(ServerSentEvents.eventEnd)
        if state.includeUsage {
            json.raw(ServerSentEvents.dataPrefix)
            json.raw(state.head)
            json.raw(#"],"usage":"#)
            state.usage.write(to: &json)
            json.raw("}")
            json.raw(ServerSentEvents.eventEnd)
        }
        json.raw(ServerSentEvents.done)
        return json.bytes
    }

    /// For a stream that failed after it started: one `data: {"error":{...}}` event (the `openai` client raises it
    /// as an `APIError`); no `[DONE]` follows. For a whole answer, the error body itself.
    func errorTrailer(_ message: String, state: State) -> [UInt8] {
        let body = OpenAIError(status: 500, message: message, type: "server_error").body
        return state.stream ? ServerSentEvents.event(body) : body
    }

    /// Errors before the answer started, in OpenAI's shape: ``OpenAIError`` as it is, `HTTPError` with its status
    /// and detail, bad JSON as 400; nil (the server's default 500) for anything else.
    func errorBody(for error: any Error) -> (status: Int, body: [UInt8])? {
        OpenAIError.answer(for: error)
    }

    /// An ``OpenAIError``'s message for the error event of a stream that failed after it started.
    func errorMessage(for error: any Error) -> String? { (error as? OpenAIError)?.message }
}

/// Ids and timestamps of OpenAI objects.
enum OpenAIIDs {
    private static let alphabet: [UInt8] = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// `chatcmpl-` and 24 random base-62 characters.
    static func chatCompletion() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = Array("chatcmpl-".utf8)
        bytes.reserveCapacity(bytes.count + 24)
        var bits = generator.next()
        var remaining = 10  // 62^10 < 2^64: ten characters per 64 random bits
        for _ in 0..<24 {
            if remaining == 0 {
                bits = generator.next()
                remaining = 10
            }
            bytes.append(alphabet[Int(bits % 62)])
            bits /= 62
            remaining -= 1
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Seconds since 1970.
    static func now() -> Int { Int(time(nil)) }
}

extension ServerSentEvents {
    /// The event that ends an OpenAI stream: `data: [DONE]`.
    static let done: [UInt8] = Array("data: [DONE]\n\n".utf8)
}
