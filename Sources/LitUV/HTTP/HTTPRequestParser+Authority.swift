/// The `uri-host [ ":" port ]` grammar (RFC 3986 §3.2.2–3.2.3), shared by the `Host` field (RFC 9112 §3.2) and the
/// authority of an absolute-form request-target (RFC 9112 §3.2.2).
///
/// Strict: a host is a bracketed IP literal (an IPv6 address, optionally ending in an IPv4 address, or an `IPvFuture`
/// literal; no zone identifier), or a non-empty reg-name (which includes every IPv4 address) of unreserved and
/// sub-delim characters and `%HH` escapes. A port is one to five digits, at most 65535. Anything else, including
/// user information (`@`), `/`, whitespace, control characters, unbalanced brackets and a second colon outside
/// brackets, is rejected. Nothing here allocates.
extension HTTPRequestParser {

    /// What is wrong with an authority.
    enum AuthorityProblem: UInt8 {
        case emptyHost, invalidHost, invalidPort, emptyPort
    }

    /// The error for a `Host` field value, or nil when it is a valid `uri-host [ ":" port ]`.
    ///
    /// An empty value is rejected too: RFC 9112 §3.2 allows it only for a target URI without an authority, and
    /// every target this server accepts stands for an `http` or `https` URI, whose host must not be empty
    /// (RFC 9110 §4.2.1). An empty port (`host:`), allowed by RFC 3986, is rejected as well.
    /// - Parameters:
    ///   - buffer: The buffer being parsed.
    ///   - value: The field value, trimmed of surrounding whitespace.
    /// - Returns: The error to answer with (400), or nil.
    static func hostFieldError(_ buffer: UnsafeRawBufferPointer, _ value: Range<Int>) -> HTTPParseError? {
        guard !value.isEmpty else { return HTTPParseError(status: 400, detail: "Empty Host header") }
        switch authorityProblem(buffer, value, allowsEmptyPort: false) {
        case nil: return nil
        case .emptyHost: return HTTPParseError(status: 400, detail: "Invalid Host header: empty host")
        case .invalidHost:
            return HTTPParseError(
                status: 400,
                detail: "Invalid Host header: expected a host name, an IPv4 address or a bracketed IP address"
            )
        case .invalidPort:
            return HTTPParseError(status: 400, detail: "Invalid Host header: the port must be a number up to 65535")
        case .emptyPort: return HTTPParseError(status: 400, detail: "Invalid Host header: empty port")
        }
    }

    /// Checks `host [ ":" port ]`.
    /// - Parameters:
    ///   - buffer: The buffer being parsed.
    ///   - range: The authority (without user information).
    ///   - allowsEmptyPort: Whether `host:` is accepted (RFC 3986 allows it; the `Host` field does not here).
    /// - Returns: The problem, or nil when the authority is valid.
    static func authorityProblem(
        _ buffer: UnsafeRawBufferPointer,
        _ range: Range<Int>,
        allowsEmptyPort: Bool
    ) -> AuthorityProblem? {
        let end = range.upperBound
        var j = range.lowerBound
        if j < end && load(buffer, j) == .leftBracket {
            var close = j + 1
            while close < end && load(buffer, close) != .rightBracket { close += 1 }
            guard close < end, isIPLiteral(buffer, (j + 1)..<close) else { return .invalidHost }
            j = close + 1
        } else {
            while j < end {
                let b = load(buffer, j)
                if isRegNameChar(b) {
                    j += 1
                } else if b == .colon {
                    break
                } else if b == .percent && end - j >= 3 && hexValue(load(buffer, j + 1)) != nil
                    && hexValue(load(buffer, j + 2)) != nil
                {
                    j += 3
                } else {
                    return .invalidHost
                }
            }
            if j == range.lowerBound { return .emptyHost }
        }
        guard j < end else { return nil }
        guard load(buffer, j) == .colon else { return .invalidHost }
        j += 1
        guard j < end else { return allowsEmptyPort ? nil : .emptyPort }
        guard end - j <= 5 else { return .invalidPort }
        var port = 0
        while j < end {
            let b = load(buffer, j)
            guard isDigit(b) else { return .invalidPort }
            port = port &* 10 &+ Int(b &- UInt8(ascii: "0"))
            j += 1
        }
        return port <= 65535 ? nil : .invalidPort
    }

    /// Whether the bytes between `[` and `]` are an IPv6 address or an IPvFuture literal (RFC 3986 §3.2.2).
    static func isIPLiteral(_ buffer: UnsafeRawBufferPointer, _ range: Range<Int>) -> Bool {
        guard !range.isEmpty else { return false }
        if lowercased(load(buffer, range.lowerBound)) == UInt8(ascii: "v") {
            // IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
            var j = range.lowerBound + 1
            let digits = j
            while j < range.upperBound, hexValue(load(buffer, j)) != nil { j += 1 }
            guard j > digits, j < range.upperBound, load(buffer, j) == UInt8(ascii: ".") else { return false }
            j += 1
            guard j < range.upperBound else { return false }
            while j < range.upperBound {
                let b = load(buffer, j)
                guard isRegNameChar(b) || b == .colon else { return false }
                j += 1
            }
            return true
        }
        return isIPv6(buffer, range)
    }

    /// Whether `range` is an IPv6 address: eight groups of one to four hex digits separated by colons, at most one
    /// `::` standing for one or more zero groups, and optionally an IPv4 address as the last two groups.
    static func isIPv6(_ buffer: UnsafeRawBufferPointer, _ range: Range<Int>) -> Bool {
        let end = range.upperBound
        var j = range.lowerBound
        var groups = 0
        var compressed = false
        if end - j >= 2 && load(buffer, j) == .colon && load(buffer, j + 1) == .colon {
            compressed = true
            j += 2
            if j == end { return true }
        }
        while true {
            guard groups < 8 else { return false }
            let start = j
            while j < end, j - start < 4, hexValue(load(buffer, j)) != nil { j += 1 }
            if j < end && load(buffer, j) == UInt8(ascii: ".") {
                // An IPv4 address ends the literal and counts as two groups.
                guard isIPv4(buffer, start..<end) else { return false }
                groups += 2
                break
            }
            guard j > start else { return false }
            groups += 1
            if j == end { break }
            guard load(buffer, j) == .colon else { return false }
            j += 1
            if j < end && load(buffer, j) == .colon {
                guard !compressed else { return false }
                compressed = true
                j += 1
                if j == end { break }
            } else if j == end {
                return false
            }
        }
        return compressed ? groups <= 7 : groups == 8
    }

    /// Whether `range` is four dec-octets (0–255, no leading zeros) separated by dots.
    static func isIPv4(_ buffer: UnsafeRawBufferPointer, _ range: Range<Int>) -> Bool {
        var j = range.lowerBound
        for octet in 0..<4 {
            if octet > 0 {
                guard j < range.upperBound, load(buffer, j) == UInt8(ascii: ".") else { return false }
                j += 1
            }
            let start = j
            var value = 0
            while j < range.upperBound, j - start < 3, isDigit(load(buffer, j)) {
                value = value * 10 + Int(load(buffer, j) &- UInt8(ascii: "0"))
                j += 1
            }
            guard j > start, value <= 255, j - start == 1 || load(buffer, start) != UInt8(ascii: "0") else {
                return false
            }
        }
        return j == range.upperBound
    }

    /// unreserved / sub-delims (RFC 3986): the characters of a reg-name other than pct-encoded ones.
    @inline(__always)
    static func isRegNameChar(_ b: UInt8) -> Bool {
        let low: UInt64 = 0x2bff_7fd2_0000_0000  // ! $ & ' ( ) * + , - . 0-9 ; =
        let high: UInt64 = 0x47ff_fffe_87ff_fffe  // A-Z _ a-z ~
        let mask = b < 64 ? low : high
        return b < 128 && (mask >> UInt64(b & 63)) & 1 == 1
    }
}
