/// An HTTP status code with its reason phrase.
public struct HTTPStatus: Sendable, Hashable, CustomStringConvertible {
    /// The numeric code, e.g. 404.
    public let code: Int
    /// The reason phrase, e.g. "Not Found".
    public let reason: String

    /// A status with the standard reason phrase for `code` (or "Status" for an unknown code).
    /// - Parameter code: A code in 100...599.
    public init(_ code: Int) {
        self.code = code
        self.reason = HTTPStatus.reasons[code] ?? "Status"
    }

    public var description: String { "\(code) \(reason)" }

    public static let ok = HTTPStatus(200)
    public static let badRequest = HTTPStatus(400)
    public static let unauthorized = HTTPStatus(401)
    public static let notFound = HTTPStatus(404)
    public static let methodNotAllowed = HTTPStatus(405)
    public static let payloadTooLarge = HTTPStatus(413)
    public static let unprocessableEntity = HTTPStatus(422)
    public static let internalServerError = HTTPStatus(500)
    public static let serviceUnavailable = HTTPStatus(503)
    public static let gatewayTimeout = HTTPStatus(504)

    static let reasons: [Int: String] = [
        100: "Continue", 200: "OK", 201: "Created", 202: "Accepted", 204: "No Content",
        301: "Moved Permanently", 302: "Found", 304: "Not Modified",
        400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
        406: "Not Acceptable", 408: "Request Timeout", 409: "Conflict", 410: "Gone", 411: "Length Required",
        413: "Content Too Large", 414: "URI Too Long", 415: "Unsupported Media Type", 417: "Expectation Failed",
        422: "Unprocessable Content", 429: "Too Many Requests", 431: "Request Header Fields Too Large",
        500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable",
        504: "Gateway Timeout", 505: "HTTP Version Not Supported",
    ]
}

/// A complete response as the server writes it.
@_spi(Benchmarks) public struct HTTPResponse: Sendable {
    /// The server's own content types, written from constant bytes. Any other media type (a ``LitResponse``'s) is
    /// ``none`` here with a validated `Content-Type` field in ``headers``.
    public enum ContentType: Sendable {
        case json, text, prometheus, ndjson, eventStream, none
        var headerLine: StaticString {
            switch self {
            case .json: "Content-Type: application/json\r\n"
            case .text: "Content-Type: text/plain; charset=utf-8\r\n"
            case .prometheus: "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
            case .ndjson: "Content-Type: application/x-ndjson\r\n"
            case .eventStream: "Content-Type: text/event-stream\r\n"
            case .none: ""
            }
        }
    }

    var status: HTTPStatus
    var contentType: ContentType
    var body: [UInt8]
    /// Extra header fields (names and values already validated by the caller).
    var headers: [(name: String, value: String)] = []
    /// Close the connection after this response.
    var closeConnection = false
    /// Run on the loop thread once this response has been handed to the kernel.
    var afterWrite: (@Sendable () -> Void)?
    /// The `detail` of a `{"detail": ...}` error body (``error(_:_:headers:close:)``), so the body can be rebuilt
    /// with the request's id (``ResponseDecoration/requestID``); nil for any other body.
    var errorDetail: String?
    /// The body is already gzip-encoded (`Content-Encoding: gzip` is sent): it is not compressed again.
    var isGzipEncoded = false

    public init(
        status: HTTPStatus,
        contentType: ContentType,
        body: [UInt8],
        headers: [(name: String, value: String)] = [],
        closeConnection: Bool = false
    ) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.headers = headers
        self.closeConnection = closeConnection
    }

    /// A JSON error body `{"detail": "..."}`, the shape LitServe (FastAPI) clients expect.
    static func error(
        _ status: HTTPStatus,
        _ detail: String,
        headers: [(name: String, value: String)] = [],
        close: Bool = false
    ) -> HTTPResponse {
        var response = HTTPResponse(
            status: status,
            contentType: .json,
            body: detailJSON(detail),
            headers: headers,
            closeConnection: close
        )
        response.errorDetail = detail
        return response
    }

    static func text(_ status: HTTPStatus, _ text: String) -> HTTPResponse {
        HTTPResponse(status: status, contentType: .text, body: Array(text.utf8))
    }

    /// Answers the loop gives on every request of a kind, built once: copying them allocates nothing.
    static let notFound = HTTPResponse.error(.notFound, "Not Found")
    /// `GET /health` when ready.
    static let healthy = HTTPResponse.text(.ok, "ok")
    /// `GET /health` while setup runs or a `health()` says no.
    static let notReady = HTTPResponse.text(.serviceUnavailable, "not ready")
    /// `GET /` (LitServe's answer).
    static let running = HTTPResponse.text(.ok, "litserve running")

    /// `{"detail":"..."}` with the message escaped as a JSON string, and `"request_id"` when there is one.
    static func detailJSON(_ detail: String, requestID: String? = nil) -> [UInt8] {
        var out: [UInt8] = Array(#"{"detail":"#.utf8)
        appendJSONString(detail, to: &out)
        if let requestID {
            out.append(contentsOf: #","request_id":"#.utf8)
            appendJSONString(requestID, to: &out)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    static func appendJSONString(_ string: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): out.append(contentsOf: [92, 92])
            case 0x0A: out.append(contentsOf: [92, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [92, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [92, UInt8(ascii: "t")])
            case 0..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [92, UInt8(ascii: "u"), 48, 48, hex[Int(byte >> 4)], hex[Int(byte & 15)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

/// Writes response heads from precomputed bytes.
@_spi(Benchmarks) public enum HTTPResponseEncoder {
    /// Appends `response` to `buffer`.
    /// - Parameters:
    ///   - omitBody: true for HEAD requests (Content-Length stays that of the body).
    ///   - keepAlive: whether the connection stays open after this response.
    ///   - minorVersion: the request's HTTP minor version (1.0 clients get an explicit keep-alive).
    public static func encode(
        _ response: HTTPResponse,
        omitBody: Bool,
        keepAlive: Bool,
        minorVersion: Int,
        date: inout DateCache,
        into buffer: inout ByteBuffer
    ) {
        encode(
            response,
            decoration: nil,
            omitBody: omitBody,
            keepAlive: keepAlive,
            minorVersion: minorVersion,
            date: &date,
            into: &buffer
        )
    }

    /// Appends `response` with what the pipeline adds to it (its headers, the request id; compression and the
    /// request id in error bodies were applied to `response` already).
    static func encode(
        _ response: HTTPResponse,
        decoration: ResponseDecoration?,
        omitBody: Bool,
        keepAlive: Bool,
        minorVersion: Int,
        date: inout DateCache,
        into buffer: inout ByteBuffer
    ) {
        appendStatusLine(response.status, to: &buffer)
        buffer.append(response.contentType.headerLine)
        if response.isGzipEncoded { buffer.append(ResponseCompression.contentEncodingLine) }
        buffer.append("Content-Length: ")
        buffer.appendDecimal(response.body.count)
        buffer.append("\r\nDate: ")
        date.append(to: &buffer)
        buffer.append("\r\n")
        if !keepAlive {
            buffer.append("Connection: close\r\n")
        } else if minorVersion == 0 {
            buffer.append("Connection: keep-alive\r\n")
        }
        appendHeaders(response.headers, to: &buffer)
        if let decoration { appendDecoration(decoration, to: &buffer) }
        buffer.append("\r\n")
        if !omitBody {
            buffer.append(response.body)
        }
    }

    private static func appendHeaders(_ headers: [(name: String, value: String)], to buffer: inout ByteBuffer) {
        for header in headers {
            buffer.append(header.name)
            buffer.append(": ")
            buffer.append(header.value)
            buffer.append("\r\n")
        }
    }

    private static func appendDecoration(_ decoration: ResponseDecoration, to buffer: inout ByteBuffer) {
        if let id = decoration.requestID {
            buffer.append("X-Request-Id: ")
            id.append(to: &buffer)
            buffer.append("\r\n")
        }
        appendHeaders(decoration.headers, to: &buffer)
    }

    /// Appends the head of a streamed answer: chunked for HTTP/1.1; for HTTP/1.0 the body ends when the connection
    /// closes.
    static func encodeStreamHead(
        contentType: HTTPResponse.ContentType,
        mediaType: String? = nil,
        chunked: Bool,
        decoration: ResponseDecoration?,
        date: inout DateCache,
        into buffer: inout ByteBuffer
    ) {
        buffer.append("HTTP/1.1 200 OK\r\n")
        buffer.append(contentType.headerLine)
        if let mediaType {
            buffer.append("Content-Type: ")
            buffer.append(mediaType)
            buffer.append("\r\n")
        }
        buffer.append(chunked ? "Transfer-Encoding: chunked\r\n" : "Connection: close\r\n")
        buffer.append("Cache-Control: no-cache\r\nDate: ")
        date.append(to: &buffer)
        buffer.append("\r\n")
        if let decoration { appendDecoration(decoration, to: &buffer) }
        buffer.append("\r\n")
    }

    /// Appends one piece of a streamed body, framed as a chunk when `chunked`.
    static func appendChunk(_ bytes: [UInt8], chunked: Bool, into buffer: inout ByteBuffer) {
        guard !bytes.isEmpty else { return }
        if chunked {
            appendHex(bytes.count, to: &buffer)
            buffer.append("\r\n")
            buffer.append(bytes)
            buffer.append("\r\n")
        } else {
            buffer.append(bytes)
        }
    }

    private static func appendHex(_ value: Int, to buffer: inout ByteBuffer) {
        let digits: StaticString = "0123456789abcdef"
        var shift = (Int.bitWidth - value.leadingZeroBitCount + 3) / 4 * 4 - 4
        if shift < 0 { shift = 0 }
        while shift >= 0 {
            buffer.append(digits.utf8Start[(value >> shift) & 15])
            shift -= 4
        }
    }

    static func appendStatusLine(_ status: HTTPStatus, to buffer: inout ByteBuffer) {
        switch status.code {
        case 200: buffer.append("HTTP/1.1 200 OK\r\n")
        default:
            buffer.append("HTTP/1.1 ")
            buffer.appendDecimal(status.code)
            buffer.append(" ")
            buffer.append(status.reason)
            buffer.append("\r\n")
        }
    }
}
