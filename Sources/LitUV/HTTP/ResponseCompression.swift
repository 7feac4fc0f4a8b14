/// When a whole response body is sent gzip-coded: the policy of LitUV's response compression.
///
/// A body is compressed when all of these hold:
/// - the client accepts gzip (``AcceptEncoding/acceptsGzip``; no `Accept-Encoding` field means no);
/// - its content type is compressible (``isCompressible(_:)``): JSON, NDJSON, Prometheus and other text, never
///   `text/event-stream`, images, audio, video or `application/octet-stream`;
/// - it is not already content-coded;
/// - it is whole (a streamed response is never handed to this policy) and at least ``minimumBodySize`` bytes long;
/// - the gzip member is smaller than the body (an incompressible body is sent as it is).
///
/// **Headers.** A compressed response carries `Content-Encoding: gzip` (``contentEncodingLine``) and its
/// `Content-Length` is the compressed size (a `HEAD` must report the same). Every response with a compressible
/// content type carries `Vary: Accept-Encoding` (``varyLine``) while compression is on, compressed or not: small
/// bodies and clients that did not ask for gzip included. RFC 9110 §12.5.5 asks an origin server to send `Vary` when
/// its choice of representation depends on a request field; the choice for a route's responses depends on
/// `Accept-Encoding` whenever some of them may be large enough, and a shared cache that stored an uncoded answer
/// without `Vary` would hand it to gzip clients and vice versa. Responses whose type is never compressed
/// (`text/event-stream`, binary types) do not vary and carry no `Vary`.
public struct ResponseCompression: Sendable, Hashable {
    /// Bodies shorter than this many bytes are sent as they are (compressing them saves less than it costs).
    /// Default 1000 bytes, what LitServe passes to Starlette's `GZipMiddleware` (whose own default is 500).
    public var minimumBodySize: Int
    /// The zlib level; default ``GzipLevel/fastest`` (level 1).
    public var level: GzipLevel

    /// A compression policy.
    /// - Parameters:
    ///   - minimumBodySize: The smallest body, in bytes, that is compressed (negative values act as 0).
    ///   - level: The zlib compression level.
    public init(minimumBodySize: Int = 1000, level: GzipLevel = .fastest) {
        self.minimumBodySize = max(0, minimumBodySize)
        self.level = level
    }

    /// The header line of a compressed response.
    static let contentEncodingLine: StaticString = "Content-Encoding: gzip\r\n"
    /// The header line of every response with a compressible content type (see the type's discussion).
    static let varyLine: StaticString = "Vary: Accept-Encoding\r\n"

    // MARK: - The decision

    /// The body to send gzip-coded, or `nil` to send `body` as it is.
    /// - Parameters:
    ///   - body: The whole response body.
    ///   - contentType: The response's content type.
    ///   - acceptsGzip: Whether the request's `Accept-Encoding` accepts gzip (`false` without the field).
    ///   - alreadyEncoded: Whether the response already has a `Content-Encoding`.
    ///   - encoder: The calling thread's encoder (loop- or worker-confined); its level is used, not ``level``.
    /// - Returns: The gzip member when the body should be compressed and compressing made it smaller; `nil` when
    ///   the policy says no, when the member is not smaller, or when zlib failed (a failure never fails a response).
    func compressedBody(
        _ body: UnsafeRawBufferPointer,
        contentType: HTTPResponse.ContentType,
        acceptsGzip: Bool,
        alreadyEncoded: Bool = false,
        encoder: GzipEncoder
    ) -> [UInt8]? {
        guard acceptsGzip, !alreadyEncoded, Self.isCompressible(contentType) else { return nil }
        return compressIfSmaller(body, encoder: encoder)
    }

    /// The body to send gzip-coded, or `nil` to send `body` as it is.
    /// - Parameters:
    ///   - body: The whole response body.
    ///   - contentType: The response's content type.
    ///   - acceptsGzip: Whether the request's `Accept-Encoding` accepts gzip.
    ///   - alreadyEncoded: Whether the response already has a `Content-Encoding`.
    ///   - encoder: The calling thread's encoder.
    /// - Returns: The gzip member, or `nil` (see the raw-buffer form).
    func compressedBody(
        _ body: [UInt8],
        contentType: HTTPResponse.ContentType,
        acceptsGzip: Bool,
        alreadyEncoded: Bool = false,
        encoder: GzipEncoder
    ) -> [UInt8]? {
        guard acceptsGzip, !alreadyEncoded, Self.isCompressible(contentType) else { return nil }
        return body.withUnsafeBytes { compressIfSmaller($0, encoder: encoder) }
    }

    /// The body to send gzip-coded, or `nil` to send `body` as it is, for a content type given as a field value.
    /// - Parameters:
    ///   - body: The whole response body.
    ///   - contentType: The `Content-Type` field value, e.g. `"application/json; charset=utf-8"`.
    ///   - acceptsGzip: Whether the request's `Accept-Encoding` accepts gzip.
    ///   - alreadyEncoded: Whether the response already has a `Content-Encoding`.
    ///   - encoder: The calling thread's encoder.
    /// - Returns: The gzip member, or `nil` (see the raw-buffer form).
    func compressedBody(
        _ body: UnsafeRawBufferPointer,
        contentType: String,
        acceptsGzip: Bool,
        alreadyEncoded: Bool = false,
        encoder: GzipEncoder
    ) -> [UInt8]? {
        guard acceptsGzip, !alreadyEncoded, Self.isCompressible(contentType: contentType) else { return nil }
        return compressIfSmaller(body, encoder: encoder)
    }

    private func compressIfSmaller(_ body: UnsafeRawBufferPointer, encoder: GzipEncoder) -> [UInt8]? {
        guard body.count >= minimumBodySize else { return nil }
        guard let compressed = try? encoder.compress(body), compressed.count < body.count else { return nil }
        return compressed
    }

    // MARK: - Content types

    /// Whether responses of this type are compressed (and so carry `Vary: Accept-Encoding`).
    /// - Parameter contentType: One of the server's content types.
    /// - Returns: `true` for JSON, NDJSON, plain text and Prometheus text; `false` for `text/event-stream` (each event
    ///   must reach the client when it is written) and for responses without a body type.
    static func isCompressible(_ contentType: HTTPResponse.ContentType) -> Bool {
        switch contentType {
        case .json, .ndjson, .text, .prometheus: true
        case .eventStream, .none: false
        }
    }

    /// Whether a `Content-Type` field value names a compressible media type.
    ///
    /// Compressible: `text/*` except `text/event-stream`; `application/json`, `application/x-ndjson`,
    /// `application/ndjson`, `application/jsonl`, `application/xml`, `application/javascript`,
    /// `application/x-www-form-urlencoded`, `application/graphql`; any `+json` or `+xml` subtype (so
    /// `application/problem+json` and `image/svg+xml`, the one image that is text). Everything else is not:
    /// images, audio, video, fonts, `application/octet-stream`, archives and already-compressed formats, and a
    /// value that is not a `type/subtype` at all. Case-insensitive; parameters (`; charset=utf-8`) are ignored.
    /// - Parameter contentType: The field value.
    /// - Returns: Whether bodies of this type are compressed.
    static func isCompressible(contentType: String) -> Bool {
        var value = contentType
        return value.withUTF8 { isCompressible(contentType: UnsafeRawBufferPointer($0)) }
    }

    /// Whether a `Content-Type` field value, as bytes, names a compressible media type (see the `String` form).
    /// - Parameter contentType: The field value's bytes.
    /// - Returns: Whether bodies of this type are compressed.
    static func isCompressible(contentType value: UnsafeRawBufferPointer) -> Bool {
        var j = 0
        while j < value.count, HTTPRequestParser.isOWS(value[j]) { j += 1 }
        let typeStart = j
        let typeEnd = HTTPRequestParser.tokenEnd(value, typeStart..<value.count)
        guard typeEnd > typeStart, typeEnd < value.count, value[typeEnd] == .slash else { return false }
        let subtypeStart = typeEnd + 1
        let subtypeEnd = HTTPRequestParser.tokenEnd(value, subtypeStart..<value.count)
        guard subtypeEnd > subtypeStart else { return false }
        // Only OWS or parameters may follow the subtype.
        var k = subtypeEnd
        while k < value.count, HTTPRequestParser.isOWS(value[k]) { k += 1 }
        guard k == value.count || value[k] == .semicolon else { return false }

        let type = typeStart..<typeEnd
        let subtype = subtypeStart..<subtypeEnd
        if hasSuffix(value, subtype, "+json") || hasSuffix(value, subtype, "+xml") { return true }
        if HTTPRequestParser.equalsIgnoringCase(value, type, "text") {
            return !HTTPRequestParser.equalsIgnoringCase(value, subtype, "event-stream")
        }
        guard HTTPRequestParser.equalsIgnoringCase(value, type, "application") else { return false }
        return HTTPRequestParser.equalsIgnoringCase(value, subtype, "json")
            || HTTPRequestParser.equalsIgnoringCase(value, subtype, "x-ndjson")
            || HTTPRequestParser.equalsIgnoringCase(value, subtype, "ndjson")
            || HTTPRequestParser.equalsIgnoringCase(value, subtype, "jsonl")
            || HTTPRequestParser.equalsIgnoringCase(value, subtype, "xml")
            || HTTPRequestParser.equalsIgnoringCase(value, subtype, "javascript")
            || HTTPRequestParser.equalsIgnoringCase(value, subtype, "x-www-form-urlencoded")
            || HTTPRequestParser.equalsIgnoringCase(value, subtype, "graphql")
    }

    /// Whether the bytes at `range` end with `lowercaseSuffix` (ASCII, case-insensitive) and have more before it.
    private static func hasSuffix(
        _ buffer: UnsafeRawBufferPointer,
        _ range: Range<Int>,
        _ lowercaseSuffix: StaticString
    ) -> Bool {
        let count = lowercaseSuffix.utf8CodeUnitCount
        guard range.count > count else { return false }
        let suffix = (range.upperBound - count)..<range.upperBound
        return HTTPRequestParser.equalsIgnoringCase(buffer, suffix, lowercaseSuffix)
    }
}
