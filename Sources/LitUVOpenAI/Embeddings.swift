import LitUV

/// The body of `POST /v1/embeddings`, validated.
///
/// `input` is a string or an array of strings (token arrays are not supported: 400); `encoding_format` is `float`
/// (default) or `base64` (the little-endian float32 bytes, base64); `dimensions` asks for shorter vectors.
public struct EmbeddingRequest: Sendable, Hashable {
    /// How vectors are written in the answer.
    public enum EncodingFormat: String, Sendable, Hashable {
        /// A JSON array of numbers.
        case float
        /// A base64 string of little-endian float32 values.
        case base64
    }

    /// The model the client asked for.
    public var model: String
    /// The texts to embed (one when `input` was a string), at most 2048, none empty.
    public var input: [String]
    /// `encoding_format`.
    public var encodingFormat: EncodingFormat
    /// `dimensions`: the vector length asked for, at least 1.
    public var dimensions: Int?
    /// `user`: the end user's id.
    public var user: String?

    /// Creates a request (for tests and direct calls).
    public init(
        model: String,
        input: [String],
        encodingFormat: EncodingFormat = .float,
        dimensions: Int? = nil,
        user: String? = nil
    ) {
        self.model = model
        self.input = input
        self.encodingFormat = encodingFormat
        self.dimensions = dimensions
        self.user = user
    }

    /// Reads and validates a request from its decoded JSON body.
    /// - Throws: ``OpenAIError`` (400) naming the invalid parameter.
    public init(json: JSONValue) throws(OpenAIError) {
        let body = try RequestReader(json, path: "")
        guard let model = try body.string("model") else {
            throw OpenAIError.invalidRequest("You must provide a model parameter.", param: "model")
        }
        self.model = model
        switch try body.required("input") {
        case .string(let text):
            input = [text]
        case .array(let elements):
            guard !elements.isEmpty else {
                throw OpenAIError.invalidValue("input", "expected at least 1 input, but got an empty array.")
            }
            guard elements.count <= 2048 else {
                throw OpenAIError.invalidValue("input", "expected at most 2048 inputs, but got \(elements.count).")
            }
            input = []
            input.reserveCapacity(elements.count)
            for (index, element) in elements.enumerated() {
                switch element {
                case .string(let text): input.append(text)
                case .number, .array:
                    throw OpenAIError.invalidValue(
                        "input[\(index)]",
                        "token arrays are not supported; send strings."
                    )
                default:
                    throw OpenAIError.invalidType("input[\(index)]", expected: "a string")
                }
            }
        case .number:
            throw OpenAIError.invalidValue("input", "token arrays are not supported; send strings.")
        default:
            throw OpenAIError.invalidType("input", expected: "a string or an array of strings")
        }
        if let empty = input.firstIndex(where: \.isEmpty) {
            let param = input.count == 1 && body.value("input")?.stringValue != nil ? "input" : "input[\(empty)]"
            throw OpenAIError.invalidValue(param, "an input must not be an empty string.")
        }
        let format = try body.choice("encoding_format", ["float", "base64"])
        encodingFormat = format.flatMap(EncodingFormat.init(rawValue:)) ?? .float
        dimensions = try body.int("dimensions", minimum: 1)
        user = try body.string("user")
    }
}

extension EmbeddingRequest: Decodable {
    /// Decodes and validates; the error thrown for an invalid request is an ``OpenAIError``.
    public init(from decoder: any Decoder) throws {
        try self.init(json: JSONValue(from: decoder))
    }
}

/// An embedding model served with OpenAI's `POST /v1/embeddings` (LitServe's `OpenAIEmbeddingSpec`).
///
/// ```swift
/// struct MyEmbedder: EmbeddingAPI {
///     func embed(_ texts: [String], dimensions: Int?) throws -> [[Float]] {
///         texts.map { vector(for: $0, size: dimensions ?? 384) }
///     }
/// }
/// let endpoint = LitEndpoint.openAIEmbeddings(MyEmbedder(), model: "my-embedder", maxBatchSize: 16)
/// ```
///
/// Batching: the texts of every request in a batch that asks for the same `dimensions` reach ``embed(_:dimensions:)``
/// in one call, so a batched model sees one flat list. Errors: throw ``OpenAIError`` or `HTTPError` from
/// ``checkRequest(_:context:)`` (before the request is queued for a batch) to answer in OpenAI's error shape.
public protocol EmbeddingAPI: Sendable {
    /// True when ``checkRequest(_:context:)`` needs the request headers in its `RequestContext`.
    static var needsRequestHeaders: Bool { get }

    /// Prepares this worker's copy (load weights here). Called once per worker, on that worker's thread.
    mutating func setup(device: Device) throws

    /// Checks a request before it is embedded: supported `dimensions`, the `model` name, the caller's headers.
    /// The default accepts every valid request.
    /// - Throws: ``OpenAIError`` or `HTTPError` to refuse it.
    func checkRequest(_ request: EmbeddingRequest, context: RequestContext) throws

    /// Embeds texts.
    /// - Parameters:
    ///   - texts: The texts of one or more requests.
    ///   - dimensions: The vector length the requests asked for, or nil for the model's own.
    /// - Returns: One vector per text, in order; each of length `dimensions` when it is given.
    func embed(_ texts: [String], dimensions: Int?) throws -> [[Float]]

    /// The tokens one text counts for in `usage`. The default counts whitespace-separated words.
    func countTokens(_ text: String) -> Int

    /// Whether this worker's copy can serve.
    func health() -> Bool

    /// Releases what ``setup(device:)`` acquired.
    mutating func teardown()
}

extension EmbeddingAPI {
    public static var needsRequestHeaders: Bool { false }
    public mutating func setup(device: Device) throws {}
    public func checkRequest(_ request: EmbeddingRequest, context: RequestContext) throws {}
    public func countTokens(_ text: String) -> Int { TokenEstimate.words(in: text) }
    public func health() -> Bool { true }
    public mutating func teardown() {}
}

/// Serves an ``EmbeddingAPI`` through the streaming machinery: each request emits exactly one output (its vectors)
/// and ``EmbeddingsCodec`` renders it as one JSON body.
struct EmbeddingStreamingAdapter<Model: EmbeddingAPI>: LitStreamingAPI {
    typealias Request = EmbeddingRequest
    typealias Output = [[Float]]
    typealias Response = [[Float]]

    struct Input {
        var texts: [String]
        var dimensions: Int?
    }

    var model: Model

    static var needsRequestHeaders: Bool { Model.needsRequestHeaders }

    mutating func setup(device: Device) throws { try model.setup(device: device) }
    func health() -> Bool { model.health() }
    mutating func teardown() { model.teardown() }

    func decodeRequest(_ request: EmbeddingRequest, context: RequestContext) throws -> Input {
        try model.checkRequest(request, context: context)
        return Input(texts: request.input, dimensions: request.dimensions)
    }

    func predict(_ input: Input, emit: ([[Float]]) throws -> Void) throws {
        try emit(try vectors(for: input.texts, dimensions: input.dimensions))
    }

    /// One `embed` call per distinct `dimensions` among the batch's requests, with all their texts.
    func predict(batch inputs: [Input], emit: (_ index: Int, _ output: [[Float]]) throws -> Void) throws {
        var groups: [(dimensions: Int?, members: [Int])] = []
        for (index, input) in inputs.enumerated() {
            if let group = groups.firstIndex(where: { $0.dimensions == input.dimensions }) {
                groups[group].members.append(index)
            } else {
                groups.append((input.dimensions, [index]))
            }
        }
        for group in groups {
            let texts = group.members.flatMap { inputs[$0].texts }
            let vectors = try vectors(for: texts, dimensions: group.dimensions)
            var offset = 0
            for index in group.members {
                let count = inputs[index].texts.count
                do {
                    try emit(index, Array(vectors[offset..<offset + count]))
                } catch is CancellationError {
                    // That client left; the others still get their vectors.
                }
                offset += count
            }
        }
    }

    /// Calls the model and checks it kept its promise: one vector per text, of the asked length.
    private func vectors(for texts: [String], dimensions: Int?) throws -> [[Float]] {
        let vectors = try model.embed(texts, dimensions: dimensions)
        guard vectors.count == texts.count else {
            throw OpenAIError(
                status: 500,
                message: "Batch size mismatch: \(vectors.count) vectors for \(texts.count) inputs.",
                type: "server_error"
            )
        }
        if let dimensions, let wrong = vectors.first(where: { $0.count != dimensions }) {
            throw OpenAIError(
                status: 500,
                message: "The model returned \(wrong.count) dimensions instead of \(dimensions).",
                type: "server_error"
            )
        }
        return vectors
    }
}

/// Renders an embeddings answer: `{"object":"list","data":[{"object":"embedding","index":0,"embedding":[...]}],
/// "model":"…","usage":{"prompt_tokens":P,"total_tokens":P}}`, vectors as shortest-form floats or base64.
struct EmbeddingsCodec<Model: EmbeddingAPI>: StreamingCodec {
    typealias API = EmbeddingStreamingAdapter<Model>

    struct State {
        let model: String
        let encodingFormat: EmbeddingRequest.EncodingFormat
        let promptTokens: Int
        var vectors: [[Float]] = []
    }

    func decode(body: [UInt8], context: RequestContext, api: API) throws -> (API.Input, State) {
        let json = try JSONValue(parsing: body)
        let request = try EmbeddingRequest(json: json)
        let input = try api.decodeRequest(request, context: context)
        let tokens = request.input.reduce(0) { $0 + api.model.countTokens($1) }
        return (input, State(model: request.model, encodingFormat: request.encodingFormat, promptTokens: tokens))
    }

    func isStreamed(_ state: State) -> Bool { false }

    func contentType(_ state: State) -> StreamContentType { .json }

    func encode(_ output: [[Float]], state: inout State, api: API) throws -> [UInt8] {
        state.vectors.append(contentsOf: output)
        return []
    }

    func end(state: inout State) throws -> [UInt8] {
        try EmbeddingsCodec.render(
            state.vectors,
            model: state.model,
            format: state.encodingFormat,
            promptTokens: state.promptTokens
        )
    }

    static func render(
        _ vectors: [[Float]],
        model: String,
        format: EmbeddingRequest.EncodingFormat,
        promptTokens: Int
    ) throws(OpenAIError) -> [UInt8] {
        let perVector = format == .float ? 12 * (vectors.first?.count ?? 0) : 6 * (vectors.first?.count ?? 0)
        var json = JSONBytes(capacity: 128 + vectors.count * (48 + perVector))
        json.raw(#"{"object":"list","data":["#)
        for (index, vector) in vectors.enumerated() {
            if index > 0 { json.raw(",") }
            json.raw(#"{"object":"embedding","index":"#)
            json.int(index)
            json.raw(#","embedding":"#)
            switch format {
            case .float:
                json.raw("[")
                for (position, value) in vector.enumerated() {
                    if position > 0 { json.raw(",") }
                    do {
                        try json.float(value)
                    } catch {
                        throw OpenAIError(
                            status: 500,
                            message: "The model produced a non-finite number.",
                            type: "server_error"
                        )
                    }
                }
                json.raw("]")
            case .base64:
                json.raw("\"")
                json.raw(Base64.encode(littleEndianFloat32: vector))
                json.raw("\"")
            }
            json.raw("}")
        }
        json.raw(#"],"model":"#)
        json.string(model)
        json.raw(#","usage":{"prompt_tokens":"#)
        json.int(promptTokens)
        json.raw(#","total_tokens":"#)
        json.int(promptTokens)
        json.raw("}}")
        return json.bytes
    }

    func errorTrailer(_ message: String, state: State) -> [UInt8] {
        OpenAIError(status: 500, message: message, type: "server_error").body
    }

    func errorBody(for error: any Error) -> (status: Int, body: [UInt8])? {
        OpenAIError.answer(for: error)
    }

    /// An ``OpenAIError``'s message when the model failed.
    func errorMessage(for error: any Error) -> String? { (error as? OpenAIError)?.message }
}

/// Standard base64 (RFC 4648, with padding).
enum Base64 {
    private static let alphabet: [UInt8] = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8
    )

    /// The base64 text of `values` as little-endian IEEE 754 float32 bytes (what OpenAI's `base64` format holds).
    static func encode(littleEndianFloat32 values: [Float]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(values.count * 4)
        for value in values {
            let bits = value.bitPattern.littleEndian
            withUnsafeBytes(of: bits) { bytes.append(contentsOf: $0) }
        }
        return encode(bytes)
    }

    /// The base64 text of `bytes`.
    static func encode(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= bytes.count {
            let chunk = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            out.append(alphabet[Int(chunk >> 18 & 63)])
            out.append(alphabet[Int(chunk >> 12 & 63)])
            out.append(alphabet[Int(chunk >> 6 & 63)])
            out.append(alphabet[Int(chunk & 63)])
            index += 3
        }
        let rest = bytes.count - index
        if rest > 0 {
            let chunk = UInt32(bytes[index]) << 16 | (rest == 2 ? UInt32(bytes[index + 1]) << 8 : 0)
            out.append(alphabet[Int(chunk >> 18 & 63)])
            out.append(alphabet[Int(chunk >> 12 & 63)])
            out.append(rest == 2 ? alphabet[Int(chunk >> 6 & 63)] : UInt8(ascii: "="))
            out.append(UInt8(ascii: "="))
        }
        return out
    }
}
