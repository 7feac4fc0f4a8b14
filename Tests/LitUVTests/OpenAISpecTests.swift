import Foundation
import Synchronization
import Testing

@_spi(Benchmarks) @testable import LitUV
@testable import LitUVOpenAI

/// Emits the words of the last message one by one, optionally calling a tool or reporting usage.
struct WordsChatAPI: ChatCompletionAPI {
    static var needsRequestHeaders: Bool { true }

    func decodeRequest(_ request: ChatCompletionRequest, context: RequestContext) throws -> ChatCompletionRequest {
        if context.header("X-Reject") != nil { throw HTTPError(403, "rejected by header") }
        if request.model == "forbidden" {
            throw OpenAIError(
                status: 404,
                message: "The model 'forbidden' does not exist",
                type: "not_found_error",
                param: "model",
                code: "model_not_found"
            )
        }
        return request
    }

    func predict(_ request: ChatCompletionRequest, emit: (ChatDelta) throws -> Void) throws {
        let words = request.messages.last!.text.split(separator: " ")
        if words.first == "explode" { throw HTTPError(500, "model exploded") }
        for (index, word) in words.enumerated() {
            try emit(.text(index == 0 ? String(word) : " " + word))
        }
    }
}

/// Records every `embed` call; vectors are [length of text, dimension index...].
struct RecordingEmbedder: EmbeddingAPI {
    let log: EmbedLog

    func embed(_ texts: [String], dimensions: Int?) throws -> [[Float]] {
        log.record(texts, dimensions)
        return texts.map { text in (0..<(dimensions ?? 3)).map { Float(text.count) + Float($0) / 4 } }
    }
}

final class EmbedLog: Sendable {
    let calls = Mutex<[(texts: [String], dimensions: Int?)]>([])
    func record(_ texts: [String], _ dimensions: Int?) { calls.withLock { $0.append((texts, dimensions)) } }
}

private typealias Codec = ChatCompletionCodec<WordsChatAPI>

private func request(_ json: String) throws -> ChatCompletionRequest {
    let value = try LitJSON.decode(JSONValue.self, from: Array(json.utf8))
    return try ChatCompletionRequest(json: value)
}

private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

/// Runs `deltas` through the codec with a fixed id and time, returning every byte the client would get.
private func render(_ json: String, _ deltas: [ChatDelta]) throws -> String {
    let codec = Codec()
    var state = Codec.makeState(for: try request(json), id: "chatcmpl-X", created: 7)
    var bytes: [UInt8] = []
    for delta in deltas { bytes += try codec.encode(delta, state: &state, api: WordsChatAPI()) }
    bytes += try codec.end(state: &state)
    return text(bytes)
}

private let user = #""model":"m","messages":[{"role":"user","content":"hi there"}]"#
private let chunkHead =
    #"data: {"id":"chatcmpl-X","object":"chat.completion.chunk","created":7,"model":"m","choices":["#

@Suite("OpenAI spec: chat completion chunks and bodies")
struct OpenAIChatCodecTests {
    @Test func streamedChunksShareOneIDRoleFirstThenFinishThenDone() throws {
        let body = try render("{\(user),\"stream\":true}", [.text("Hello"), .text(" world")])
        let expected =
            chunkHead
            + #"{"index":0,"delta":{"role":"assistant","content":"Hello"},"logprobs":null,"finish_reason":null}]}"#
            + "\n\n"
            + chunkHead + #"{"index":0,"delta":{"content":" world"},"logprobs":null,"finish_reason":null}]}"# + "\n\n"
            + chunkHead + #"{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}"# + "\n\n"
            + "data: [DONE]\n\n"
        #expect(body == expected)
    }

    @Test func includeUsageAddsNullUsageToEveryChunkAndAUsageChunkWithNoChoices() throws {
        let body = try render(
            "{\(user),\"stream\":true,\"stream_options\":{\"include_usage\":true}}",
            [.text("a"), .text(" b")]
        )
        let expected =
            chunkHead
            + #"{"index":0,"delta":{"role":"assistant","content":"a"},"logprobs":null,"finish_reason":null}],"usage":null}"#
            + "\n\n"
            + chunkHead + #"{"index":0,"delta":{"content":" b"},"logprobs":null,"finish_reason":null}],"usage":null}"#
            + "\n\n"
            + chunkHead + #"{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}"# + "\n\n"
            + chunkHead + #"],"usage":{"prompt_tokens":2,"completion_tokens":2,"total_tokens":4}}"# + "\n\n"
            + "data: [DONE]\n\n"
        #expect(body == expected)
    }

    @Test func aStreamWithNoOutputStillSendsTheRoleChunk() throws {
        let body = try render("{\(user),\"stream\":true}", [])
        let expected =
            chunkHead + #"{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}"#
            + "\n\n"
            + chunkHead + #"{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}"# + "\n\n"
            + "data: [DONE]\n\n"
        #expect(body == expected)
    }

    @Test func aWholeAnswerIsOneChatCompletionWithUsage() throws {
        let body = try render("{\(user)}", [.text("Hello"), .text(" \"world\"\n")])
        #expect(
            body
                == #"{"id":"chatcmpl-X","object":"chat.completion","created":7,"model":"m","choices":[{"index":0,"#
                + #""message":{"role":"assistant","content":"Hello \"world\"\n"},"logprobs":null,"finish_reason":"stop"}],"#
                + #""usage":{"prompt_tokens":2,"completion_tokens":2,"total_tokens":4}}"#
        )
    }

    @Test func theModelsFinishReasonAndUsageWin() throws {
        let body = try render(
            "{\(user)}",
            [.text("a"), .finish(.length, usage: TokenUsage(promptTokens: 11, completionTokens: 5))]
        )
        #expect(
            body.hasSuffix(
                #""finish_reason":"length"}],"usage":{"prompt_tokens":11,"completion_tokens":5,"total_tokens":16}}"#
            )
        )
    }

    @Test func streamedToolCallsCarryIDTypeAndNameInTheirFirstFragmentOnly() throws {
        let body = try render(
            "{\(user),\"stream\":true}",
            [
                ChatDelta(toolCalls: [ToolCallDelta(index: 0, id: "call_1", name: "get_weather", arguments: "")]),
                ChatDelta(toolCalls: [ToolCallDelta(index: 0, arguments: "{\"city\":")]),
                ChatDelta(toolCalls: [ToolCallDelta(index: 0, arguments: "\"Paris\"}")]),
                ChatDelta(toolCalls: [ToolCallDelta(index: 1, name: "noop")]),
            ]
        )
        let expected =
            chunkHead
            + #"{"index":0,"delta":{"role":"assistant","tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}]},"logprobs":null,"finish_reason":null}]}"#
            + "\n\n"
            + chunkHead
            + #"{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]},"logprobs":null,"finish_reason":null}]}"#
            + "\n\n"
            + chunkHead
            + #"{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]},"logprobs":null,"finish_reason":null}]}"#
            + "\n\n"
            + chunkHead
            + #"{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_X_1","type":"function","function":{"name":"noop","arguments":""}}]},"logprobs":null,"finish_reason":null}]}"#
            + "\n\n"
            + chunkHead + #"{"index":0,"delta":{},"logprobs":null,"finish_reason":"tool_calls"}]}"# + "\n\n"
            + "data: [DONE]\n\n"
        #expect(body == expected)
    }

    @Test func wholeAnswerToolCallsAreAssembledWithNullContent() throws {
        let body = try render(
            "{\(user)}",
            [
                ChatDelta(toolCalls: [ToolCallDelta(index: 0, id: "call_1", name: "get_weather", arguments: "{\"ci")]),
                ChatDelta(toolCalls: [ToolCallDelta(index: 0, arguments: "ty\":\"Paris\"}")]),
            ]
        )
        #expect(
            body
                == #"{"id":"chatcmpl-X","object":"chat.completion","created":7,"model":"m","choices":[{"index":0,"#
                + #""message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","#
                + #""function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},"logprobs":null,"#
                + #""finish_reason":"tool_calls"}],"usage":{"prompt_tokens":2,"completion_tokens":2,"total_tokens":4}}"#
        )
    }

    @Test func theContentTypeFollowsTheStreamFlag() throws {
        let codec = Codec()
        let streamed = Codec.makeState(for: try request("{\(user),\"stream\":true}"))
        let whole = Codec.makeState(for: try request("{\(user)}"))
        #expect(codec.isStreamed(streamed) && codec.contentType(streamed) == .eventStream)
        #expect(!codec.isStreamed(whole) && codec.contentType(whole) == .json)
    }

    @Test func idsAreChatcmplWith24Base62Characters() {
        let ids = (0..<100).map { _ in OpenAIIDs.chatCompletion() }
        #expect(Set(ids).count == 100)
        for id in ids {
            #expect(id.hasPrefix("chatcmpl-") && id.count == 33)
            #expect(id.dropFirst(9).allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
        }
    }

    @Test func decodePassesTheRequestAndItsHeadersToTheAPI() throws {
        let codec = Codec()
        let body = Array("{\(user)}".utf8)
        let (input, _) = try codec.decode(body: body, context: RequestContext(), api: WordsChatAPI())
        #expect(input.messages.first?.text == "hi there")
        let rejected = RequestContext(headers: [(name: "x-reject", value: "1")], path: "/v1/chat/completions")
        #expect(throws: HTTPError.self) { try codec.decode(body: body, context: rejected, api: WordsChatAPI()) }
    }
}

@Suite("OpenAI spec: error bodies")
struct OpenAIErrorBodyTests {
    @Test func anOpenAIErrorHasOpenAIsShape() {
        let error = OpenAIError.invalidRequest("Bad \"temperature\"", param: "temperature")
        #expect(
            text(error.body)
                == #"{"error":{"message":"Bad \"temperature\"","type":"invalid_request_error","param":"temperature","code":null}}"#
        )
    }

    @Test func theCodecAnswersOpenAIErrorsHTTPErrorsAndBadJSONInOpenAIsShape() throws {
        let codec = Codec()
        let notFound = try #require(
            codec.errorBody(
                for: OpenAIError(status: 404, message: "no", type: "not_found_error", code: "model_not_found")
            )
        )
        #expect(notFound.status == 404)
        #expect(
            text(notFound.body)
                == #"{"error":{"message":"no","type":"not_found_error","param":null,"code":"model_not_found"}}"#
        )

        let unauthorized = try #require(codec.errorBody(for: HTTPError(401, "bad key")))
        #expect(unauthorized.status == 401)
        #expect(
            text(unauthorized.body)
                == #"{"error":{"message":"bad key","type":"authentication_error","param":null,"code":null}}"#
        )

        let overloaded = try #require(codec.errorBody(for: HTTPError(503, "busy")))
        #expect(
            text(overloaded.body) == #"{"error":{"message":"busy","type":"server_error","param":null,"code":null}}"#
        )

        do {
            _ = try codec.decode(body: Array("{\"model\":".utf8), context: RequestContext(), api: WordsChatAPI())
            Issue.record("bad JSON must throw")
        } catch {
            let answer = try #require(codec.errorBody(for: error))
            #expect(answer.status == 400)
            #expect(
                text(answer.body).hasPrefix(#"{"error":{"message":"We could not parse the JSON body of your request: "#)
            )
        }

        struct Secret: Error {}
        #expect(codec.errorBody(for: Secret()) == nil, "unknown errors get the server's logged 500")
    }

    @Test func aStreamThatFailsEndsWithAnErrorEvent() throws {
        let codec = Codec()
        let streamed = Codec.makeState(for: try request("{\(user),\"stream\":true}"))
        #expect(
            text(codec.errorTrailer("Request timed out", state: streamed))
                == #"data: {"error":{"message":"Request timed out","type":"server_error","param":null,"code":null}}"#
                + "\n\n"
        )
    }
}

@Suite("OpenAI spec: chat request validation")
struct OpenAIChatRequestValidationTests {
    @Test func aFullRequestIsReadWithEveryDocumentedField() throws {
        let parsed = try request(
            """
            {"model":"gpt-x","messages":[
              {"role":"system","content":"Be brief."},
              {"role":"user","name":"ann","content":[{"type":"text","text":"What is"},{"type":"text","text":"this?"},
                {"type":"image_url","image_url":{"url":"data:image/png;base64,AA==","detail":"low"}},
                {"type":"input_audio","input_audio":{"data":"AAAA","format":"wav"}}]},
              {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function",
                "function":{"name":"look","arguments":"{}"}}]},
              {"role":"tool","tool_call_id":"c1","content":"a cat"}],
             "temperature":0.5,"top_p":1,"max_tokens":10,"max_completion_tokens":20,"stop":"END","stream":true,
             "stream_options":{"include_usage":true},
             "tools":[{"type":"function","function":{"name":"look","description":"Looks",
               "parameters":{"type":"object","properties":{"x":{"type":"string"}}}}}],
             "tool_choice":{"type":"function","function":{"name":"look"}},"parallel_tool_calls":false,
             "response_format":{"type":"json_schema","json_schema":{"name":"answer","schema":{"type":"object"}}},
             "user":"u-1","metadata":{"k":"v"},"n":1,"seed":42,"presence_penalty":-1,"frequency_penalty":2,
             "logit_bias":{"50256":-100},"some_future_field":[1,2,3]}
            """
        )
        #expect(parsed.model == "gpt-x")
        #expect(parsed.messages.map(\.role) == [.system, .user, .assistant, .tool])
        #expect(parsed.messages[1].text == "What is\nthis?")
        #expect(parsed.messages[1].name == "ann")
        if case .parts(let parts)? = parsed.messages[1].content {
            #expect(parts.count == 4)
            #expect(parts[2] == .imageURL(url: "data:image/png;base64,AA==", detail: "low"))
            #expect(parts[3] == .inputAudio(data: "AAAA", format: "wav"))
        } else {
            Issue.record("content parts expected")
        }
        #expect(parsed.messages[2].toolCalls == [ToolCall(id: "c1", name: "look", arguments: "{}")])
        #expect(parsed.messages[3].toolCallID == "c1")
        #expect(parsed.temperature == 0.5 && parsed.topP == 1)
        #expect(parsed.tokenLimit == 20, "max_completion_tokens wins over max_tokens")
        #expect(parsed.stop == ["END"])
        #expect(parsed.stream && parsed.includeUsage)
        #expect(parsed.tools.map(\.function.name) == ["look"])
        #expect(parsed.tools[0].function.parameters?["properties"]?["x"]?["type"] == .string("string"))
        #expect(parsed.toolChoice == .function(name: "look"))
        #expect(parsed.parallelToolCalls == false)
        if case .jsonSchema(let name, _, let schema, _)? = parsed.responseFormat {
            #expect(name == "answer" && schema == .object(["type": .string("object")]))
        } else {
            Issue.record("json_schema expected")
        }
        #expect(parsed.user == "u-1" && parsed.metadata == ["k": "v"] && parsed.seed == 42)
        #expect(parsed.presencePenalty == -1 && parsed.frequencyPenalty == 2)
    }

    @Test func nullCountsAsAbsent() throws {
        let parsed = try request(
            #"{"model":"m","messages":[{"role":"user","content":"x"}],"temperature":null,"stop":null,"stream":null,"n":null,"tools":null}"#
        )
        #expect(parsed.temperature == nil && parsed.stop.isEmpty && !parsed.stream && parsed.tools.isEmpty)
    }

    static let invalid: [(body: String, param: String?, message: String)] = [
        (#"[1]"#, nil, "The request body must be a JSON object."),
        (#"{"messages":[{"role":"user","content":"x"}]}"#, "model", "You must provide a model parameter."),
        (#"{"model":"m"}"#, "messages", "Missing required parameter: 'messages'."),
        (
            #"{"model":"m","messages":[]}"#, "messages",
            "Invalid value for 'messages': expected an array with at least 1 message, but got an empty array."
        ),
        (#"{"model":"m","messages":"hi"}"#, "messages", "Invalid type for 'messages': expected an array."),
        (
            #"{"model":"m","messages":[{"content":"x"}]}"#, "messages[0].role",
            "Missing required parameter: 'messages[0].role'."
        ),
        (
            #"{"model":"m","messages":[{"role":"wizard","content":"x"}]}"#, "messages[0].role",
            "Invalid value for 'messages[0].role': 'wizard'. Supported values are: 'system', 'developer', 'user', 'assistant', 'tool', and 'function'."
        ),
        (
            #"{"model":"m","messages":[{"role":"user","content":5}]}"#, "messages[0].content",
            "Invalid type for 'messages[0].content': expected a string or an array of content parts."
        ),
        (
            #"{"model":"m","messages":[{"role":"user"}]}"#, "messages[0].content",
            "Missing required parameter: 'messages[0].content'."
        ),
        (
            #"{"model":"m","messages":[{"role":"user","content":[{"type":"video"}]}]}"#, "messages[0].content[0].type",
            "Invalid value for 'messages[0].content[0].type': 'video'. Supported values are: 'text', 'image_url', 'input_audio', 'file', and 'refusal'."
        ),
        (
            #"{"model":"m","messages":[{"role":"user","content":[{"type":"text"}]}]}"#, "messages[0].content[0].text",
            "Missing required parameter: 'messages[0].content[0].text'."
        ),
        (
            #"{"model":"m","messages":[{"role":"tool","content":"x"}]}"#, "messages[0].tool_call_id",
            "Missing required parameter: 'messages[0].tool_call_id'."
        ),
        (
            #"{"model":"m","messages":[{"role":"assistant"}]}"#, "messages[0].content",
            "Invalid value for 'messages[0].content': an assistant message needs 'content' or 'tool_calls'."
        ),
        (
            #"{"model":"m","messages":[{"role":"user","content":"x"}],"n":2}"#, "n",
            "Invalid value for 'n': 2. Only n=1 is supported."
        ),
        (
            #"{"model":"m","messages":[{"role":"user","content":"x"}],"temperature":"hot"}"#, "temperature",
            "Invalid type for 'temperature': expected a number."
        ),
        (
            #"{"model":"m","messages":[{"role":"user","content":"x"}],"temperature":2.5}"#, "temperature",
            "Invalid value for 'temperature': 2.5 is out of range; expected a number from 0 to 2."
        ),
        (
            #"{"model":"m","messages":[{"role":"user","content":"x"}],"top_p":-0.1}"#, "top_p",
            "Invalid value for 'top_p': -0.1 is out of range; expected a number from 0 to 1."
        ),
        (
            #"{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":0}"#, "max_tokens",
            "Invalid value for 'max_tokens': 0 is less than the minimum of 1."
        ),
        (
            #"{"model":"m","messages":[{"role":"user","content":"x"}],"max_completion_tokens":1.5}"#,
            "max_completion_tokens", "Invalid type for 'max_completion_tokens': expected an integer."
        ),
        (
            #"{"model":"m","messages":[{"role":"user","content":"x"}],"stop":["a","b","c","d","e"]}"#, "stop",
            "Invalid value for 'stop': expected at most 4 stop sequences, but got 5."
        ),
        (
            #"{"model":"m","messages":[{"role":"user","content":"x"}],"stop":[1]}"#, "stop[0]",
            "Invalid type for 'stop[0]': expected a string."
        ),
        (
            #"{"model":"m","messages":[{"role":"user","content":"x"}],"stream":"yes"}"#, "stream",
            "Invalid type for 'stream': expected a boolean."
        ),
        (
            #"{"model":"m","messages":[{"role":"user","content":"x"}],"stream_options":{"include_usage":true}}"#,
            "stream_options", "The 'stream_options' parameter is only allowed when 'stream' is enabled."
        ),
        (
            #"{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"bad name"}}]}"#,
            "tools[0].function.name",
            "Invalid value for 'tools[0].function.name': 'bad name'. Expected a string that matches the pattern '^[a-zA-Z0-9_-]{1,64}$'."
        ),
        (
            #"{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"retrieval"}]}"#,
            "tools[0].type", "Invalid value for 'tools[0].type': 'retrieval'. Supported values are: 'function'."
        ),
        (
            #"{"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":"auto"}"#, "tool_choice",
            "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified."
        ),
        (
            #"{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"sometimes"}"#,
            "tool_choice",
            "Invalid value for 'tool_choice': 'sometimes'. Supported values are: 'none', 'auto', and 'required'."
        ),
        (
            #"{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{"type":"function","function":{"name":"g"}}}"#,
            "tool_choice", "Invalid value for 'tool_choice': no tool named 'g' is in 'tools'."
        ),
        (
            #"{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"xml"}}"#,
            "response_format.type",
            "Invalid value for 'response_format.type': 'xml'. Supported values are: 'text', 'json_object', and 'json_schema'."
        ),
        (
            #"{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema"}}"#,
            "response_format.json_schema", "Missing required parameter: 'response_format.json_schema'."
        ),
        (
            #"{"model":"m","messages":[{"role":"user","content":"x"}],"metadata":{"k":1}}"#, "metadata.k",
            "Invalid type for 'metadata.k': expected a string."
        ),
        (
            #"{"model":"m","messages":[{"role":"user","content":"x"}],"user":7}"#, "user",
            "Invalid type for 'user': expected a string."
        ),
    ]

    @Test(arguments: invalid)
    func invalidRequestsAre400WithTheParameterNamed(_ example: (body: String, param: String?, message: String)) throws {
        do {
            _ = try request(example.body)
            Issue.record("accepted: \(example.body)")
        } catch let error as OpenAIError {
            #expect(error.status == 400)
            #expect(error.type == "invalid_request_error")
            #expect(error.param == example.param)
            #expect(error.message == example.message)
        }
    }

    @Test func decodableConformanceValidatesToo() {
        #expect(throws: JSONError.self) {
            _ = try LitJSON.decode(ChatCompletionRequest.self, from: Array(#"{"model":"m","messages":[]}"#.utf8))
        }
        let parsed = try? LitJSON.decode(
            ChatCompletionRequest.self,
            from: Array(#"{"model":"m","messages":[{"role":"user","content":"x"}]}"#.utf8)
        )
        #expect(parsed?.messages.count == 1)
    }
}

@Suite("OpenAI spec: embeddings and models")
struct OpenAIEmbeddingsTests {
    private func embeddingRequest(_ json: String) throws -> EmbeddingRequest {
        try EmbeddingRequest(json: try LitJSON.decode(JSONValue.self, from: Array(json.utf8)))
    }

    @Test func inputIsAStringOrAnArrayOfStrings() throws {
        let one = try embeddingRequest(#"{"model":"e","input":"hello"}"#)
        #expect(one.input == ["hello"] && one.encodingFormat == .float && one.dimensions == nil)
        let many = try embeddingRequest(
            #"{"model":"e","input":["a","b"],"encoding_format":"base64","dimensions":8,"user":"u","extra":1}"#
        )
        #expect(many.input == ["a", "b"] && many.encodingFormat == .base64 && many.dimensions == 8 && many.user == "u")
    }

    static let invalid: [(body: String, param: String?, message: String)] = [
        (#"{"input":"x"}"#, "model", "You must provide a model parameter."),
        (#"{"model":"e"}"#, "input", "Missing required parameter: 'input'."),
        (#"{"model":"e","input":""}"#, "input", "Invalid value for 'input': an input must not be an empty string."),
        (
            #"{"model":"e","input":["a",""]}"#, "input[1]",
            "Invalid value for 'input[1]': an input must not be an empty string."
        ),
        (
            #"{"model":"e","input":[]}"#, "input",
            "Invalid value for 'input': expected at least 1 input, but got an empty array."
        ),
        (
            #"{"model":"e","input":[1,2,3]}"#, "input[0]",
            "Invalid value for 'input[0]': token arrays are not supported; send strings."
        ),
        (
            #"{"model":"e","input":{"a":1}}"#, "input",
            "Invalid type for 'input': expected a string or an array of strings."
        ),
        (
            #"{"model":"e","input":"x","encoding_format":"int8"}"#, "encoding_format",
            "Invalid value for 'encoding_format': 'int8'. Supported values are: 'float', and 'base64'."
        ),
        (
            #"{"model":"e","input":"x","dimensions":0}"#, "dimensions",
            "Invalid value for 'dimensions': 0 is less than the minimum of 1."
        ),
    ]

    @Test(arguments: invalid)
    func invalidRequestsAre400WithTheParameterNamed(_ example: (body: String, param: String?, message: String)) throws {
        do {
            _ = try embeddingRequest(example.body)
            Issue.record("accepted: \(example.body)")
        } catch let error as OpenAIError {
            #expect(error.status == 400)
            #expect(error.param == example.param)
            #expect(error.message == example.message)
        }
    }

    @Test func floatVectorsAreWrittenInTheirShortestForm() throws {
        let body = try EmbeddingsCodec<RecordingEmbedder>.render(
            [[0.1, -2, 1e-5], [0.5]],
            model: "e",
            format: .float,
            promptTokens: 3
        )
        #expect(
            text(body)
                == #"{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,-2.0,1e-05]},"#
                + #"{"object":"embedding","index":1,"embedding":[0.5]}],"model":"e","usage":{"prompt_tokens":3,"total_tokens":3}}"#
        )
    }

    @Test func base64VectorsAreLittleEndianFloat32() throws {
        let vector: [Float] = [1, -2.5, 0.1]
        let body = try EmbeddingsCodec<RecordingEmbedder>.render([vector], model: "e", format: .base64, promptTokens: 1)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        let data = try #require(json["data"] as? [[String: Any]])
        let encoded = try #require(data[0]["embedding"] as? String)
        #expect(encoded == "AACAPwAAIMDNzMw9")
        let bytes = try #require(Data(base64Encoded: encoded))
        let decoded = stride(from: 0, to: bytes.count, by: 4).map { offset in
            Float(
                bitPattern: UInt32(
                    littleEndian: bytes[offset..<offset + 4].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
                )
            )
        }
        #expect(decoded == vector)
    }

    @Test func base64MatchesFoundationForEveryRemainder() {
        for count in 0..<10 {
            let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 250) }
            #expect(text(Base64.encode(bytes)) == Data(bytes).base64EncodedString())
        }
    }

    @Test func nonFiniteVectorsAreAServerError() {
        #expect(throws: OpenAIError.self) {
            _ = try EmbeddingsCodec<RecordingEmbedder>.render([[.nan]], model: "e", format: .float, promptTokens: 1)
        }
    }

    @Test func aBatchIsOneEmbedCallPerDistinctDimensions() throws {
        let log = EmbedLog()
        let adapter = EmbeddingStreamingAdapter(model: RecordingEmbedder(log: log))
        let inputs = [
            EmbeddingStreamingAdapter<RecordingEmbedder>.Input(texts: ["a", "bb"], dimensions: nil),
            .init(texts: ["ccc"], dimensions: 2),
            .init(texts: ["dddd"], dimensions: nil),
        ]
        var outputs: [Int: [[Float]]] = [:]
        try adapter.predict(batch: inputs) { index, output in outputs[index] = output }
        let calls = log.calls.withLock { $0 }
        #expect(calls.map(\.texts) == [["a", "bb", "dddd"], ["ccc"]])
        #expect(calls.map(\.dimensions) == [nil, 2])
        #expect(outputs[0] == [[1, 1.25, 1.5], [2, 2.25, 2.5]])
        #expect(outputs[1] == [[3, 3.25]])
        #expect(outputs[2] == [[4, 4.25, 4.5]])
    }

    @Test func theEmbeddingsCodecCountsWordsAsPromptTokens() throws {
        let codec = EmbeddingsCodec<RecordingEmbedder>()
        let adapter = EmbeddingStreamingAdapter(model: RecordingEmbedder(log: EmbedLog()))
        var (input, state) = try codec.decode(
            body: Array(#"{"model":"e","input":["a white rabbit","ran"]}"#.utf8),
            context: RequestContext(),
            api: adapter
        )
        #expect(input.texts == ["a white rabbit", "ran"])
        try adapter.predict(input) { output in _ = try codec.encode(output, state: &state, api: adapter) }
        let body = text(try codec.end(state: &state))
        #expect(body.hasSuffix(#""model":"e","usage":{"prompt_tokens":4,"total_tokens":4}}"#))
        #expect(!codec.isStreamed(state) && codec.contentType(state) == .json)
    }

    @Test func theModelsListNamesEachModelOnce() {
        #expect(
            text(ModelsList.body(models: ["a", "b", "a"], created: 5))
                == #"{"object":"list","data":[{"id":"a","object":"model","created":5,"owned_by":"lituv"},"#
                + #"{"id":"b","object":"model","created":5,"owned_by":"lituv"}]}"#
        )
        let merged = ModelsList.merge([
            ModelsList.body(models: ["a"], created: 9), ModelsList.body(models: ["b"], created: 4),
        ])
        #expect(text(merged) == text(ModelsList.body(models: ["a", "b"], created: 4)))
    }
}

@Suite("OpenAI spec: free-form JSON values and model lists")
struct OpenAIJSONValueTests {
    static let document = #"{"a":[1,"x",true,false,null,{"b":2.5,"c":[]}],"d":"\u00e9\n"}"#
    static let expected: JSONValue = .object([
        "a": .array([
            .number(1), .string("x"), .bool(true), .bool(false), .null,
            .object(["b": .number(2.5), "c": .array([])]),
        ]),
        "d": .string("é\n"),
    ])

    @Test func litJSONDecodesEveryKind() throws {
        #expect(try LitJSON.decode(JSONValue.self, from: Array(Self.document.utf8)) == Self.expected)
    }

    @Test func otherDecodersWorkByProbing() throws {
        #expect(try JSONDecoder().decode(JSONValue.self, from: Data(Self.document.utf8)) == Self.expected)
    }

    @Test func valuesWriteBackAsCompactJSONWithSortedKeys() {
        var json = JSONBytes()
        json.value(Self.expected)
        #expect(text(json.bytes) == #"{"a":[1,"x",true,false,null,{"b":2.5,"c":[]}],"d":"é\n"}"#)
    }

    @Test func duplicatedModelsRoutesAreMergedOthersKeepTheFirst() {
        let models = ModelsList.merger
        let routes = StaticRoute.mergingDuplicatePaths([
            StaticRoute(path: "/v1/models", body: ModelsList.body(models: ["chat"], created: 3), merger: models),
            StaticRoute(path: "/other", body: Array("{}".utf8)),
            StaticRoute(path: "/v1/models", body: ModelsList.body(models: ["embed"], created: 3), merger: models),
            StaticRoute(path: "/other", body: Array("[]".utf8)),
        ])
        #expect(routes.map(\.path) == ["/v1/models", "/other"])
        #expect(text(routes[0].body) == text(ModelsList.body(models: ["chat", "embed"], created: 3)))
        #expect(text(routes[1].body) == "{}")
    }
}

@Suite("OpenAI spec: served end to end")
struct OpenAIEndToEndTests {
    private func server() throws -> LitServer {
        try LitServer(
            endpoints: [
                .openAIChat(WordsChatAPI(), model: "words"),
                .openAIEmbeddings(RecordingEmbedder(log: EmbedLog()), model: "rec", modelsPath: "/v1/embedding-models"),
            ],
            configuration: testConfiguration(ioThreads: 1)
        )
    }

    private func chat(_ fields: String) -> String {
        #"{"model":"words","messages":[{"role":"user","content":"one two three"}]"# + fields + "}"
    }

    @Test func aStreamedChatIsServerSentEventsWithOneID() throws {
        try withRunningServer(try server()) { running in
            let client = try TestClient(port: running.port)
            let response = try client.request(
                "POST",
                "/v1/chat/completions",
                body: chat(#","stream":true,"stream_options":{"include_usage":true}"#)
            )
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == "text/event-stream")
            let events = response.bodyText.components(separatedBy: "\n\n").filter { !$0.isEmpty }
            #expect(events.last == "data: [DONE]")
            let chunks = try events.dropLast().map { event -> [String: Any] in
                #expect(event.hasPrefix("data: "))
                return try #require(
                    try JSONSerialization.jsonObject(with: Data(event.dropFirst(6).utf8)) as? [String: Any]
                )
            }
            #expect(chunks.count == 5, "3 words, the finish chunk, the usage chunk")
            #expect(Set(chunks.compactMap { $0["id"] as? String }).count == 1, "one id for every chunk")
            let contents = chunks.compactMap {
                (($0["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any])?["content"] as? String
            }
            #expect(contents.joined() == "one two three")
            let usage = try #require(chunks.last?["usage"] as? [String: Any])
            #expect(usage["completion_tokens"] as? Int == 3)
        }
    }

    @Test func aWholeChatAnswerHasContentLength() throws {
        try withRunningServer(try server()) { running in
            let response = try TestClient(port: running.port).request("POST", "/v1/chat/completions", body: chat(""))
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == "application/json")
            #expect(response.header("Content-Length") != nil)
            let json = try #require(jsonObject(response))
            #expect(json["object"] as? String == "chat.completion")
            let message = (json["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any]
            #expect(message?["content"] as? String == "one two three")
        }
    }

    @Test func errorsHaveOpenAIsShapeAndStatus() throws {
        try withRunningServer(try server()) { running in
            let client = try TestClient(port: running.port)
            let invalid = try client.request("POST", "/v1/chat/completions", body: chat(#","n":3"#))
            #expect(invalid.status == 400)
            #expect(
                invalid.bodyText
                    == #"{"error":{"message":"Invalid value for 'n': 3. Only n=1 is supported.","type":"invalid_request_error","param":"n","code":null}}"#
            )
            let forbidden = try client.request(
                "POST",
                "/v1/chat/completions",
                body: chat(""),
                headers: ["X-Reject: yes"]
            )
            #expect(forbidden.status == 403)
            #expect(
                forbidden.bodyText
                    == #"{"error":{"message":"rejected by header","type":"permission_error","param":null,"code":null}}"#
            )
            let missing = try client.request(
                "POST",
                "/v1/chat/completions",
                body: #"{"model":"forbidden","messages":[{"role":"user","content":"x"}]}"#
            )
            #expect(missing.status == 404)
            #expect(missing.bodyText.contains(#""code":"model_not_found""#))
            let exploded = try client.request(
                "POST",
                "/v1/chat/completions",
                body: #"{"model":"words","stream":true,"messages":[{"role":"user","content":"explode now"}]}"#
            )
            #expect(exploded.status == 500)
            #expect(exploded.bodyText.contains(#""message":"model exploded""#))
        }
    }

    @Test func embeddingsAndModelListsAreServed() throws {
        try withRunningServer(try server()) { running in
            let client = try TestClient(port: running.port)
            let embedded = try client.request(
                "POST",
                "/v1/embeddings",
                body: #"{"model":"rec","input":["ab","c"],"dimensions":2}"#
            )
            #expect(embedded.status == 200)
            #expect(
                embedded.bodyText
                    == #"{"object":"list","data":[{"object":"embedding","index":0,"embedding":[2.0,2.25]},"#
                    + #"{"object":"embedding","index":1,"embedding":[1.0,1.25]}],"model":"rec","usage":{"prompt_tokens":2,"total_tokens":2}}"#
            )
            let bad = try client.request("POST", "/v1/embeddings", body: #"{"model":"rec","input":[]}"#)
            #expect(bad.status == 400 && bad.bodyText.contains(#""param":"input""#))
            let models = try client.request("GET", "/v1/models")
            #expect(models.status == 200)
            #expect(models.bodyText.hasPrefix(#"{"object":"list","data":[{"id":"words","object":"model","created":"#))
            let embeddingModels = try client.request("GET", "/v1/embedding-models")
            #expect(embeddingModels.bodyText.contains(#""id":"rec""#))
        }
    }
}
