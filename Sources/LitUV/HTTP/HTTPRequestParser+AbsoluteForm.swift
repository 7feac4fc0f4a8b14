/// Absolute-form request targets (`POST http://host/predict HTTP/1.1`, RFC 9112 §3.2.2): validation and the path.
extension HTTPRequestParser {

    /// Validates an absolute-form request-target (RFC 9112 §3.2.2) and finds its path.
    ///
    /// Accepted: `http` or `https` (case-insensitive), `://`, an authority of a host (reg-name, IPv4 address or
    /// bracketed IP literal) and an optional `:port`, then an optional path and query. Rejected with 400: no scheme,
    /// another scheme, no `//` authority, an empty host, user information (`user@host`, which RFC 9110 §4.2.4 says to
    /// treat as an error), a malformed host or port. The bytes of the path itself are checked as for origin-form (any
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
        // host = IP-literal / IPv4address / reg-name
        if j < authorityEnd && load(buffer, j) == .leftBracket {
            j += 1
            let literalStart = j
            while j < authorityEnd, load(buffer, j) != .rightBracket {
                guard isRegNameChar(load(buffer, j)) || load(buffer, j) == .colon else {
                    return invalid("Invalid host in request target")
                }
                j += 1
            }
            guard j < authorityEnd, j > literalStart else { return invalid("Invalid host in request target") }
            j += 1
        } else {
            while j < authorityEnd {
                let b = load(buffer, j)
                if b == .colon { break }
                if b == .percent {
                    guard authorityEnd - j >= 3, hexValue(load(buffer, j + 1)) != nil,
                        hexValue(load(buffer, j + 2)) != nil
                    else { return invalid("Invalid host in request target") }
                    j += 3
                    continue
                }
                guard isRegNameChar(b) else { return invalid("Invalid host in request target") }
                j += 1
            }
            guard j > authorityStart else { return invalid("Empty host in request target") }
        }
        // [ ":" port ], port = *DIGIT
        if j < authorityEnd {
            guard load(buffer, j) == .colon else { return invalid("Invalid host in request target") }
            j += 1
            while j < authorityEnd {
                guard isDigit(load(buffer, j)) else { return invalid("Invalid port in request target") }
                j += 1
            }
        }
        // path-abempty [ "?" query ]: `j` is at the path's "/", at the "?", or at the end.
        return .success(j < pathEnd ? j..<pathEnd : emptyPath)
    }

    @inline(__always)
    static func isAlpha(_ b: UInt8) -> Bool {
        (b | 0x20) &- UInt8(ascii: "a") < 26
    }

    /// ALPHA / DIGIT / "+" / "-" / "." (RFC 3986 scheme characters after the first).
    static func isSchemeChar(_ b: UInt8) -> Bool {
        isAlpha(b) || isDigit(b) || b == UInt8(ascii: "+") || b == UInt8(ascii: "-") || b == UInt8(ascii: ".")
    }

    /// unreserved / sub-delims (RFC 3986): the characters of a reg-name other than pct-encoded ones.
    static func isRegNameChar(_ b: UInt8) -> Bool {
        if isAlpha(b) || isDigit(b) { return true }
        switch b {
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"): return true
        case UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("),
            UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"),
            UInt8(ascii: "="):
            return true
        default: return false
        }
    }
}
