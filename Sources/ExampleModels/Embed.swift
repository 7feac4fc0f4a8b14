import LitUV
import LitUVOpenAI

/// A deterministic text embedding by feature hashing: the lowercase words of a text, their adjacent pairs and the
/// character trigrams of each word (`<al`, `ali`, ..., `ce>`) are hashed (FNV-1a) into a signed vector, which is
/// then scaled to unit length. Texts that share words and spellings get close vectors; no weights, no data.
public struct HashingEmbedder: Sendable, Hashable {
    /// The vector length when none is asked for.
    public static let nativeDimensions = 256

    /// Creates the embedder.
    public init() {}

    /// The unit-length embedding of `text` (all zeros when it has no letters or digits).
    /// - Parameters:
    ///   - text: Any text.
    ///   - dimensions: The vector length (features are hashed straight into that many buckets).
    /// - Returns: `dimensions` values.
    public func embed(_ text: String, dimensions: Int = HashingEmbedder.nativeDimensions) -> [Float] {
        precondition(dimensions > 0, "dimensions must be positive")
        var vector = [Float](repeating: 0, count: dimensions)
        func add(_ feature: some Sequence<UInt8>, kind: UInt8, weight: Float) {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            hash = (hash ^ UInt64(kind)) &* 0x0000_0100_0000_01b3
            for byte in feature { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
            let bucket = Int(hash % UInt64(dimensions))
            vector[bucket] += (hash >> 63) == 0 ? weight : -weight
        }
        let words = HashingEmbedder.words(in: text)
        for (index, word) in words.enumerated() {
            add(word.utf8, kind: 1, weight: 1)
            if index > 0 { add(words[index - 1].utf8 + [0x20] + word.utf8, kind: 2, weight: 0.5) }
            let characters = ["<"] + word.map(String.init) + [">"]
            if characters.count >= 3 {
                for start in 0...(characters.count - 3) {
                    add(characters[start..<start + 3].joined().utf8, kind: 3, weight: 0.5)
                }
            }
        }
        let norm = vector.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
        if norm > 0 {
            for index in vector.indices { vector[index] /= norm }
        }
        return vector
    }

    /// Lowercase runs of letters and digits.
    static func words(in text: String) -> [String] {
        text.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map(String.init)
    }
}

/// ``HashingEmbedder`` as an OpenAI embedding model, for `LitEndpoint.openAIEmbeddings(EmbedAPI(), model: "embed")`.
/// `dimensions` may ask for 1...256 values.
public struct EmbedAPI: EmbeddingAPI {
    private let embedder = HashingEmbedder()

    /// Creates the model.
    public init() {}

    /// Refuses `dimensions` above 256.
    public func checkRequest(_ request: EmbeddingRequest, context: RequestContext) throws {
        if let dimensions = request.dimensions, dimensions > HashingEmbedder.nativeDimensions {
            throw OpenAIError.invalidRequest(
                "This model has \(HashingEmbedder.nativeDimensions) dimensions; 'dimensions' must be at most "
                    + "\(HashingEmbedder.nativeDimensions).",
                param: "dimensions"
            )
        }
    }

    public func embed(_ texts: [String], dimensions: Int?) throws -> [[Float]] {
        texts.map { embedder.embed($0, dimensions: dimensions ?? HashingEmbedder.nativeDimensions) }
    }
}

/// ``HashingEmbedder`` on a plain `/predict` route: `{"input": "text"}` → `{"embedding": [...]}`.
public struct EmbedPredictAPI: LitAPI {
    /// `{"input": "text", "dimensions": 64}` (`dimensions` optional, 1...256).
    public struct Request: Decodable, Sendable {
        public var input: String
        public var dimensions: Int?
    }

    /// `{"embedding": [...]}`
    public struct Response: Encodable, Sendable {
        public var embedding: [Float]
    }

    private let embedder = HashingEmbedder()

    /// Creates the model.
    public init() {}

    public func decodeRequest(_ request: Request, context: RequestContext) throws -> Request {
        if let dimensions = request.dimensions, !(1...HashingEmbedder.nativeDimensions).contains(dimensions) {
            throw HTTPError(422, "dimensions must be in 1...\(HashingEmbedder.nativeDimensions)")
        }
        return request
    }

    public func predict(_ request: Request) throws -> [Float] {
        embedder.embed(request.input, dimensions: request.dimensions ?? HashingEmbedder.nativeDimensions)
    }

    public func encodeResponse(_ embedding: [Float]) throws -> Response { Response(embedding: embedding) }
}
