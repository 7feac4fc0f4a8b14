/// Size limits that protect the server from oversized or abusive HTTP/1.1 requests.
///
/// Every limit is enforced incrementally by the request parser: a request is rejected as soon as the bytes received
/// so far prove it exceeds a limit, without waiting for the rest of it. The status code the server answers with is
/// given for each limit; the connection is closed afterwards.
public struct HTTPLimits: Sendable, Hashable {
    /// The longest request line accepted, in bytes, not counting its terminating CRLF.
    ///
    /// A longer request line is answered with `414 URI Too Long`. Default: 8 KiB.
    public var maxRequestLineLength: Int = 8 * 1024

    /// The largest header block accepted, in bytes: every header field line after the request line, each with its
    /// CRLF, but not the empty line that ends the head. The same limit applies to the trailer section of a chunked
    /// body.
    ///
    /// A larger header block is answered with `431 Request Header Fields Too Large`. Default: 16 KiB.
    public var maxHeaderBytes: Int = 16 * 1024

    /// The largest number of header fields accepted (and, separately, of trailer fields).
    ///
    /// More fields are answered with `431 Request Header Fields Too Large`. Default: 100.
    public var maxHeaderCount: Int = 100

    /// The largest request body accepted, in bytes.
    ///
    /// A larger declared `Content-Length`, or a chunked body that grows past it, is answered with
    /// `413 Content Too Large`. Default: 16 MiB.
    public var maxPayloadSize: Int = 16 * 1024 * 1024

    /// Creates a set of limits; every argument has the documented default.
    ///
    /// - Parameters:
    ///   - maxRequestLineLength: The longest request line in bytes, without its CRLF (default 8 KiB).
    ///   - maxHeaderBytes: The largest header block in bytes (default 16 KiB).
    ///   - maxHeaderCount: The largest number of header fields (default 100).
    ///   - maxPayloadSize: The largest request body in bytes (default 16 MiB).
    public init(
        maxRequestLineLength: Int = 8 * 1024,
        maxHeaderBytes: Int = 16 * 1024,
        maxHeaderCount: Int = 100,
        maxPayloadSize: Int = 16 * 1024 * 1024
    ) {
        self.maxRequestLineLength = maxRequestLineLength
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxPayloadSize = maxPayloadSize
    }
}
