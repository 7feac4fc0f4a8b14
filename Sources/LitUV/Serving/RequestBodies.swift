/// A request body that is not JSON: what an API names as its `Request` to receive the body in another form
/// (``RawBody``, a multipart form, a URL-encoded form, or a kind of its own).
///
/// LitUV decodes a `Request` that conforms to this protocol with ``init(body:context:)`` instead of its JSON decoder.
/// The choice is made once, when the endpoint is created, not per request: a JSON API runs exactly the code it ran
/// before. Before the body is read, the request's `Content-Type` is checked on the I/O loop with
/// ``refusal(contentType:)``; a refused request is answered at once (`415` with the accepted types) and its body is
/// never read.
///
/// ```swift
/// struct Echo: LitAPI {
///     typealias Request = RawBody
///     func decodeRequest(_ body: RawBody) throws -> [UInt8] { body.bytes }
///     func predict(_ bytes: [UInt8]) throws -> Int { bytes.count }
///     func encodeResponse(_ count: Int) throws -> [String: Int] { ["bytes": count] }
/// }
/// ```
///
/// A conforming type is `Decodable` only because ``LitAPI/Request`` must be: decoding it from JSON throws.
public protocol LitRequestBody: Decodable, Sendable {
    /// The media types this kind accepts, lower case and without parameters (`"multipart/form-data"`); empty
    /// accepts every request, one without a `Content-Type` included. Shown in the `415` answer's detail.
    static var acceptedMediaTypes: [String] { get }

    /// Why a request with this `Content-Type` is refused before its body is read, or nil to read it. Runs on the I/O
    /// loop at head time: keep it cheap. The default refuses a media type not in ``acceptedMediaTypes`` with `415`.
    /// - Parameter contentType: The request's `Content-Type` field value as sent, or nil when it has none.
    /// - Returns: The refusal (status and detail), or nil.
    static func refusal(contentType: String?) -> HTTPError?

    /// Builds the request from its complete body, on the predict worker.
    /// - Parameters:
    ///   - body: The body, its content type and the request's header fields.
    ///   - context: The endpoint's limits for parsing bodies.
    /// - Throws: ``HTTPError`` (for example `400` or `413`) for a body that cannot be read.
    init(body: RawBody, context: RequestBodyContext) throws
}

extension LitRequestBody {
    /// Refuses a media type not in ``acceptedMediaTypes`` with `415 Unsupported Media Type`.
    public static func refusal(contentType: String?) -> HTTPError? {
        let accepted = acceptedMediaTypes
        guard !accepted.isEmpty else { return nil }
        if let type = contentType.map(RawBody.mediaType(of:)), accepted.contains(type) { return nil }
        let sent = contentType.map { "\"\(RawBody.mediaType(of: $0))\"" } ?? "no Content-Type"
        return HTTPError(415, "Unsupported Media Type: got \(sent), expected \(accepted.joined(separator: " or "))")
    }

    /// Not decodable from JSON: a request body kind is built with ``init(body:context:)``.
    public init(from decoder: any Decoder) throws {
        throw DecodingError.dataCorrupted(
            .init(codingPath: [], debugDescription: "\(Self.self) is a request body kind, not decoded from JSON")
        )
    }
}

/// What an endpoint tells a ``LitRequestBody`` when it builds one: the endpoint's parsing limits.
public struct RequestBodyContext: Sendable {
    /// The endpoint's path.
    public var path: String
    /// The endpoint's limits for form bodies (``LitEndpoint/formLimits``).
    public var formLimits: FormLimits

    /// Creates a context (for testing a body kind).
    /// - Parameters:
    ///   - path: The endpoint's path.
    ///   - formLimits: The limits for form bodies.
    public init(path: String = "/predict", formLimits: FormLimits = FormLimits()) {
        self.path = path
        self.formLimits = formLimits
    }
}

/// A request body as it arrived: the bytes, the `Content-Type` and every header field of the request.
///
/// `bytes` is the buffer the connection collected the body into, handed over without a further copy. The header
/// fields are kept as the bytes they arrived in and turned into strings only when ``headers`` or ``header(_:)`` is
/// read, so an API that reads the bytes alone pays nothing for them.
public struct RawBody: LitRequestBody {
    /// The body bytes.
    public var bytes: [UInt8]
    /// The request's `Content-Type` field value as sent (parameters included), or nil.
    public var contentType: String?
    /// The header fields: strings, or packed bytes not yet decoded.
    private var fields: HeaderFields
    /// The form the I/O loop already parsed from this body as it arrived (then ``bytes`` is empty).
    var parsedForm: MultipartForm?

    /// The request's header fields, names as sent, in order.
    public var headers: [(name: String, value: String)] {
        get {
            switch fields {
            case .strings(let headers): return headers
            case .packed(let packed): return HeaderFields.unpack(packed)
            }
        }
        set { fields = .strings(newValue) }
    }

    /// Every media type is accepted, and a body without a `Content-Type` too.
    public static var acceptedMediaTypes: [String] { [] }

    /// Creates a body.
    /// - Parameters:
    ///   - bytes: The body bytes.
    ///   - contentType: The `Content-Type` field value, or nil.
    ///   - headers: The request's header fields.
    public init(bytes: [UInt8], contentType: String? = nil, headers: [(name: String, value: String)] = []) {
        self.bytes = bytes
        self.contentType = contentType
        self.fields = .strings(headers)
    }

    /// A body whose header fields stay packed (`name:value\n` each, as the loop captured them) until read.
    init(bytes: [UInt8], contentType: String?, packedHeaders: [UInt8]) {
        self.bytes = bytes
        self.contentType = contentType
        self.fields = .packed(packedHeaders)
    }

    /// Takes the body as it is.
    public init(body: RawBody, context: RequestBodyContext) {
        self = body
    }

    /// The media type of ``contentType`` without parameters, lower case (`"image/png"`), or nil.
    public var mediaType: String? { contentType.map(Self.mediaType(of:)) }

    /// The value of the first header field named `name` (case-insensitive), or nil.
    /// - Parameter name: A field name.
    /// - Returns: Its value.
    public func header(_ name: String) -> String? {
        switch fields {
        case .strings(let headers):
            let wanted = name.lowercased()
            return headers.first { $0.name.lowercased() == wanted }?.value
        case .packed(let packed):
            return HeaderFields.find(Array(name.utf8), in: packed)
        }
    }

    /// `type/subtype` of a `Content-Type` value: before any `;`, trimmed, lower case.
    static func mediaType(of value: String) -> String {
        let type = value.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return type.trimmingSpaces().lowercased()
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs.
    fileprivate func trimmingSpaces() -> Substring {
        var text = self
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return text
    }
}

/// What the server keeps of an endpoint's ``LitRequestBody`` kind, found once when the endpoint is created: its name
/// and its head-time check.
struct RequestBodyKind: Sendable {
    /// The kind's type name (for logs and `/info`).
    let name: String
    /// ``LitRequestBody/refusal(contentType:)``.
    let refusal: @Sendable (String?) -> HTTPError?
    /// The kind is ``MultipartForm``: its body is parsed on the I/O loop as it arrives (``MultipartBodySink``).
    let parsesMultipartOnLoop: Bool

    /// The kind of `type`, or nil when it is decoded from JSON.
    init?<Request>(_ type: Request.Type) {
        guard let kind = type as? any LitRequestBody.Type else { return nil }
        name = String(describing: kind)
        refusal = { contentType in kind.refusal(contentType: contentType) }
        parsesMultipartOnLoop = kind == MultipartForm.self
    }
}

/// ``RawBody``'s header fields: strings, or the packed bytes of the head (`name:value\n` per field, names without
/// `:`, values without line feeds), decoded on demand.
private enum HeaderFields: Sendable {
    case strings([(name: String, value: String)])
    case packed([UInt8])

    /// Every packed field as strings, in order.
    static func unpack(_ packed: [UInt8]) -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = []
        var start = 0
        while start < packed.count {
            let end = packed[start...].firstIndex(of: UInt8(ascii: "\n")) ?? packed.count
            let colon = packed[start..<end].firstIndex(of: UInt8(ascii: ":")) ?? end
            let name = String(decoding: packed[start..<colon], as: UTF8.self)
            let value = String(decoding: packed[min(colon + 1, end)..<end], as: UTF8.self)
            headers.append((name, value))
            start = end + 1
        }
        return headers
    }

    /// The value of the first packed field named `name` (ASCII case-insensitive), or nil.
    static func find(_ name: [UInt8], in packed: [UInt8]) -> String? {
        var start = 0
        while start < packed.count {
            let end = packed[start...].firstIndex(of: UInt8(ascii: "\n")) ?? packed.count
            let colon = packed[start..<end].firstIndex(of: UInt8(ascii: ":")) ?? end
            if colon - start == name.count
                && zip(packed[start..<colon], name).allSatisfy({ lowered($0) == lowered($1) })
            {
                return String(decoding: packed[min(colon + 1, end)..<end], as: UTF8.self)
            }
            start = end + 1
        }
        return nil
    }

    private static func lowered(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
    }
}
