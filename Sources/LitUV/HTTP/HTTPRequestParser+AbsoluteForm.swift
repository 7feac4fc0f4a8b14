/// Absolute-form request targets (`POST http://host/predict HTTP/1.1`, RFC 9112 §3.2.2): validation and the path.
extension HTTPRequestParser {

    /// Validates an absolute-form request-target (RFC 9112 §3.2.2) and finds its path.
    ///
    /// Accepted: `http` or `https` (case-insensitive), `://`, an authority of a host (reg-name, IPv4 address or
    /// bracketed IP literal) and an optional `:port` (an empty port is allowed, as RFC 3986 §3.2.3 does), then an
    /// optional path and query; the authority follows the grammar of HTTPRequestParser+Authority.swift. Rejected
    /// with 400: no scheme, another scheme, no `//` authority, an empty host, user information (`user@host`, which
    /// RFC 9110 §4.2.4 says to treat as an error), a malformed host or IP literal, a port over 65535. The bytes of the path itself are checked as for origin-form (any
    /// visible ASCII character).
    ///
    /// The path runs from the `/` that ends the authority to `pathEnd`. An empty path (`http://host` or
    /// `http://host?query`) is equivalent to `/` (RFC 9110 §4.2.3); it is then reported as the second `/` of `://`,
    /// one byte of the target that reads "/", so that the path is still a range of the buffer.
    /// - Parameters:
    ///   - buffer: The buffer being parsed.
    ///   - target: The whole request-target.
    ///   - pathEnd: The end of the path part: the target's first `?`, or the target's end.
    /// - Returns: The range of the path (never empty), or the error to answer with.
    static func absoluteFormPath(
        _ buffer: UnsafeRawBufferPointer,
        _ target: Range<Int>,
        pathEnd: Int
    ) -> Result<Range<Int>, HTTPParseError> {
        func invalid(_ detail: String) -> Result<Range<Int>, HTTPParseError> {
            .failure(HTTPParseError(status: 400, detail: detail))
        }
        let end = target.upperBound
        // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"
        var j = target.lowerBound
        guard j < end, isAlpha(load(buffer, j)) else {
            return invalid("Invalid request target: expected a path, \"*\" or an absolute http(s) URI")
        }
        while j < end, isSchemeChar(load(buffer, j)) { j += 1 }
        guard j < end, load(buffer, j) == .colon else {
            return invalid("Invalid request target: expected a path, \"*\" or an absolute http(s) URI")
        }
        let scheme = target.lowerBound..<j
        guard equalsIgnoringCase(buffer, scheme, "http") || equalsIgnoringCase(buffer, scheme, "https") else {
            return invalid("Unsupported scheme in request target: only http and https are accepted")
        }
        j += 1
        guard end - j >= 2, load(buffer, j) == .slash, load(buffer, j + 1) == .slash else {
            return invalid("Absolute request target without an authority: expected \"//host\" after the scheme")
        }
        let emptyPath = (j + 1)..<(j + 2)  // the second "/" of "//"
        j += 2
        let authorityStart = j
        var authorityEnd = j
        while authorityEnd < end {
            let b = load(buffer, authorityEnd)
            if b == .slash || b == .questionMark { break }
            if b == .at { return invalid("User information (user@host) is not allowed in a request target") }
            authorityEnd += 1
        }
        // host [ ":" port ]: the same grammar as the Host field, except that an empty port is allowed here.
        switch authorityProblem(buffer, authorityStart..<authorityEnd, allowsEmptyPort: true) {
        case nil: break
        case .emptyHost: return invalid("Empty host in request target")
        case .invalidHost: return invalid("Invalid host in request target")
        case .invalidPort, .emptyPort: return invalid("Invalid port in request target")
        }
        // path-abempty [ "?" query ]: `authorityEnd` is at the path's "/", at the "?", or at the end.
        return .success(authorityEnd < pathEnd ? authorityEnd..<pathEnd : emptyPath)
    }

    @inline(__always)
    static func isAlpha(_ b: UInt8) -> Bool {
        (b | 0x20) &- UInt8(ascii: "a") < 26
    }

    /// ALPHA / DIGIT / "+" / "-" / "." (RFC 3986 scheme characters after the first).
    static func isSchemeChar(_ b: UInt8) -> Bool {
        isAlpha(b) || isDigit(b) || b == UInt8(ascii: "+") || b == UInt8(ascii: "-") || b == UInt8(ascii: ".")
    }
}
