// The values the HTTP/1.1 request parser (`HTTPRequestParser`) produces.
//
// Header storage (read this before keeping a head around)
// -------------------------------------------------------
// `HTTPRequestHead.headers` is the parser's own header array, handed out without copying: the head and the parser
// share one copy-on-write buffer. When the parser starts the next request head it empties that array with
// `removeAll(keepingCapacity: true)` and refills it, so in the steady state no request allocates for its headers.
// That only holds if nobody else still references the buffer at that moment: a caller that keeps an
// `HTTPRequestHead` (or its `headers`) alive while the parser starts on the next request does not break anything,
// but makes the parser allocate a fresh array for that request. To stay allocation-free, take what you need out of
// the head (ranges, method, flags) and let it go before calling `parse` for the next request.
// `HTTPRequestParser.headers` exposes the same array (valid until the parser begins the next head).
//
// All ranges are byte offsets relative to the start of the buffer passed to the `parse` call that returned `.head`.

/// The request method, for the methods the server distinguishes; the raw token is `HTTPRequestHead.methodRange`.
@_spi(Benchmarks) public enum HTTPMethod: UInt8, Sendable {
    case get, head, post, put, delete, options, patch, trace, connect
    /// Any other valid method token (methods are case-sensitive, so `get` is `.other`).
    case other
}

/// A parsed request head: request line and header fields, as slices of the caller's buffer.
@_spi(Benchmarks) public struct HTTPRequestHead: Sendable {
    /// The method, mapped from `methodRange`.
    var method: HTTPMethod
    /// The raw method token.
    var methodRange: Range<Int>
    /// The request-target as sent.
    var target: Range<Int>
    /// The path to route on, never empty and always within `target`, without the query (from the first `?`):
    /// - origin-form (`/a/b?q`): the target up to the first `?` (`/a/b`);
    /// - absolute-form (`http://host:8000/a/b?q`, RFC 9112 §3.2.2): the path component (`/a/b`); an empty path
    ///   (`http://host`, `http://host?q`) is equivalent to `/` (RFC 9110 §4.2.3) and is reported as the second `/`
    ///   of `://`, one byte that reads "/". The `Host` field is still required in HTTP/1.1 but not used for the
    ///   path;
    /// - asterisk-form (`*`) and any target of a CONNECT request: the target up to the first `?`, as sent.
    var path: Range<Int>
    /// The minor version: 0 for HTTP/1.0, 1 for HTTP/1.1 (no other version gets this far).
    var minorVersion: Int
    /// Field lines in order as (name, value) ranges; values trimmed of leading and trailing SP/HTAB.
    /// Shares storage with the parser: see the note at the top of this file.
    var headers: [(name: Range<Int>, value: Range<Int>)]
    /// The declared body length; `nil` when there is no Content-Length field.
    var contentLength: Int?
    /// Whether the body uses the chunked transfer coding (then `contentLength` is `nil`).
    var isChunked: Bool
    /// HTTP/1.1: true unless `Connection` lists `close`; HTTP/1.0: true only if it lists `keep-alive` (and not
    /// `close`).
    var keepAlive: Bool
    /// What the `Expect` field asks for.
    var expectation: Expectation
    /// The value range of the `Authorization` field, if present (at most one is accepted).
    var authorization: Range<Int>?
    /// Whether a `Host` field was present (HTTP/1.1 requires exactly one; HTTP/1.0 allows at most one).
    var hostPresent: Bool
    /// Bytes of the whole head, from the first byte given to the parser for this request (including any skipped
    /// leading empty lines) through the CRLF of the empty line that ends it.
    var length: Int

    enum Expectation: Sendable, Equatable {
        /// No `Expect` field (or `100-continue` in an HTTP/1.0 request, which RFC 9110 says to ignore).
        case none
        /// `Expect: 100-continue` (case-insensitive): answer `100 Continue` before reading the body.
        case `continue`
        /// Any other expectation: the server answers 417.
        case unsupported
    }

    /// Whether the request has a body to read (chunked, or a non-zero Content-Length).
    var hasBody: Bool { isChunked || (contentLength ?? 0) > 0 }

    /// The value range of the first header field whose name equals `lowercaseName` (ASCII, case-insensitive).
    /// - Parameters:
    ///   - lowercaseName: The field name in lowercase ASCII, e.g. `"content-type"`.
    ///   - buffer: The buffer the head was parsed from (the one given to the call that returned `.head`).
    /// - Returns: The trimmed value range, or `nil` when there is no such field.
    func firstValue(forHeader lowercaseName: StaticString, in buffer: UnsafeRawBufferPointer) -> Range<Int>? {
        for field in headers where HTTPRequestParser.equalsIgnoringCase(buffer, field.name, lowercaseName) {
            return field.value
        }
        return nil
    }
}

extension HTTPRequestHead: Equatable {
    public static func == (lhs: HTTPRequestHead, rhs: HTTPRequestHead) -> Bool {
        guard
            lhs.method == rhs.method, lhs.methodRange == rhs.methodRange, lhs.target == rhs.target,
            lhs.path == rhs.path, lhs.minorVersion == rhs.minorVersion, lhs.contentLength == rhs.contentLength,
            lhs.isChunked == rhs.isChunked, lhs.keepAlive == rhs.keepAlive, lhs.expectation == rhs.expectation,
            lhs.authorization == rhs.authorization, lhs.hostPresent == rhs.hostPresent, lhs.length == rhs.length,
            lhs.headers.count == rhs.headers.count
        else { return false }
        for (l, r) in zip(lhs.headers, rhs.headers) where l.name != r.name || l.value != r.value {
            return false
        }
        return true
    }
}

/// Why a request was rejected. Fatal for the connection: the server answers `status` and closes.
@_spi(Benchmarks) public struct HTTPParseError: Error, Sendable, Equatable {
    /// 400, 413, 414, 431, 501 or 505.
    var status: Int
    /// A short human-readable reason, e.g. "Invalid header field name".
    var detail: String
}

/// One step of `HTTPRequestParser.parse(_:)`.
///
/// After every result except `.error`, the caller drops `consumed` bytes from the front of its buffer, keeps the
/// rest, and calls `parse` again (with more bytes appended when the result was `.needMore`).
@_spi(Benchmarks) public enum HTTPParseResult: Sendable, Equatable {
    /// The buffer holds no complete event; drop `consumed` bytes and call again when more bytes arrive.
    case needMore(consumed: Int)
    /// A complete request head; `consumed == head.length`.
    case head(HTTPRequestHead, consumed: Int)
    /// Body bytes at `range` of the buffer; `consumed` covers the slice and any chunk framing before it.
    case body(Range<Int>, consumed: Int)
    /// The request is complete (after the body, or right after a head without one); for a chunked body this
    /// consumes the last chunk and trailers. The parser is ready for the next request.
    case end(consumed: Int)
    /// The request is invalid; the connection must be answered with `error.status` and closed.
    case error(HTTPParseError)
}
