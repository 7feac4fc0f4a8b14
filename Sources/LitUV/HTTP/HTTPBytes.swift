/// Byte-level helpers of the request parser and of the server's header checks: case-insensitive comparisons, list
/// elements, character classes, SWAR word tests and the ASCII constants. None allocates.
extension HTTPRequestParser {
    // MARK: - Helpers for the server (no allocation)

    /// Whether the bytes at `range` equal `lowercaseASCII`, ignoring ASCII case.
    /// - Parameters:
    ///   - buffer: The buffer the range refers to.
    ///   - range: Byte offsets into `buffer` (out-of-bounds ranges compare unequal).
    ///   - lowercaseASCII: The expected text, in lowercase ASCII.
    /// - Returns: `true` if the lengths match and every byte matches after ASCII lowercasing.
    static func equalsIgnoringCase(
        _ buffer: UnsafeRawBufferPointer,
        _ range: Range<Int>,
        _ lowercaseASCII: StaticString
    ) -> Bool {
        lowercaseASCII.withUTF8Buffer { expected in
            guard range.count == expected.count, range.lowerBound >= 0, range.upperBound <= buffer.count else {
                return false
            }
            var j = range.lowerBound
            for e in expected {
                if lowercased(load(buffer, j)) != e { return false }
                j += 1
            }
            return true
        }
    }

    /// Whether the bytes at `range` equal `ascii` exactly (e.g. for paths and methods, which are case-sensitive).
    /// - Parameters:
    ///   - buffer: The buffer the range refers to.
    ///   - range: Byte offsets into `buffer` (out-of-bounds ranges compare unequal).
    ///   - ascii: The expected text.
    /// - Returns: `true` if the bytes are identical.
    static func equals(_ buffer: UnsafeRawBufferPointer, _ range: Range<Int>, _ ascii: StaticString) -> Bool {
        ascii.withUTF8Buffer { expected in
            guard range.count == expected.count, range.lowerBound >= 0, range.upperBound <= buffer.count else {
                return false
            }
            var j = range.lowerBound
            for e in expected {
                if load(buffer, j) != e { return false }
                j += 1
            }
            return true
        }
    }

    /// Whether the comma-separated list at `range` (e.g. a `Connection` value) has an element equal to
    /// `lowercaseToken`, ignoring ASCII case and the OWS around elements.
    /// - Parameters:
    ///   - buffer: The buffer the range refers to.
    ///   - range: Byte offsets into `buffer`.
    ///   - lowercaseToken: The token to look for, in lowercase ASCII.
    /// - Returns: `true` if some element matches.
    static func listContains(
        _ buffer: UnsafeRawBufferPointer,
        _ range: Range<Int>,
        _ lowercaseToken: StaticString
    ) -> Bool {
        guard range.lowerBound >= 0, range.upperBound <= buffer.count else { return false }
        var found = false
        forEachListElement(buffer, range) { element in
            found = equalsIgnoringCase(buffer, element, lowercaseToken)
            return !found
        }
        return found
    }

    // MARK: - Byte-level helpers

    @inline(__always)
    static func load(_ base: UnsafeRawPointer, _ i: Int) -> UInt8 {
        base.load(fromByteOffset: i, as: UInt8.self)
    }

    @inline(__always)
    static func load(_ buffer: UnsafeRawBufferPointer, _ i: Int) -> UInt8 {
        buffer.load(fromByteOffset: i, as: UInt8.self)
    }

    @inline(__always)
    static func lowercased(_ b: UInt8) -> UInt8 {
        b &- UInt8(ascii: "A") < 26 ? b | 0x20 : b
    }

    /// RFC 9110 tchar: "!#$%&'*+-.^_`|~", DIGIT, ALPHA.
    @inline(__always)
    static func isTokenChar(_ b: UInt8) -> Bool {
        let low: UInt64 = 0x03ff_6cfa_0000_0000  // tchars 0x00-0x3F
        let high: UInt64 = 0x57ff_ffff_c7ff_fffe  // tchars 0x40-0x7F
        let mask = b < 64 ? low : high
        return b < 128 && (mask >> UInt64(b & 63)) & 1 == 1
    }

    /// field-vchar / SP / HTAB, with obs-text (0x80-0xFF) allowed; everything but CTLs (except HTAB) and DEL.
    @inline(__always)
    static func isFieldValueChar(_ b: UInt8) -> Bool {
        (b >= 0x20 && b != 0x7F) || b == .tab
    }

    @inline(__always)
    static func isDigit(_ b: UInt8) -> Bool {
        b &- UInt8(ascii: "0") < 10
    }

    @inline(__always)
    static func isOWS(_ b: UInt8) -> Bool {
        b == .space || b == .tab
    }

    @inline(__always)
    static func hexValue(_ b: UInt8) -> UInt8? {
        if b &- UInt8(ascii: "0") < 10 { return b &- UInt8(ascii: "0") }
        let lower = b | 0x20
        if lower &- UInt8(ascii: "a") < 6 { return lower &- UInt8(ascii: "a") &+ 10 }
        return nil
    }

    /// Nonzero if some byte of `x` is less than `n` (n <= 128).
    @inline(__always)
    static func hasByteLess(_ x: UInt64, than n: UInt8) -> UInt64 {
        (x &- 0x0101_0101_0101_0101 &* UInt64(n)) & ~x & 0x8080_8080_8080_8080
    }

    /// Nonzero if some byte of `x` equals `b`.
    @inline(__always)
    static func hasByte(_ x: UInt64, equalTo b: UInt8) -> UInt64 {
        let y = x ^ (0x0101_0101_0101_0101 &* UInt64(b))
        return (y &- 0x0101_0101_0101_0101) & ~y & 0x8080_8080_8080_8080
    }

    /// Nonzero if some byte of `x` is 0x7F or more (a carry out of a 0xFF byte only adds false positives above it,
    /// and that word has a true positive anyway).
    @inline(__always)
    static func hasByteAtLeast7F(_ x: UInt64) -> UInt64 {
        (x | (x &+ 0x0101_0101_0101_0101)) & 0x8080_8080_8080_8080
    }

    /// "HTTP/1.1" and "HTTP/1.0" as little-endian words.
    static let http11: UInt64 = 0x312E_312F_5054_5448
    static let http10: UInt64 = 0x302E_312F_5054_5448

    @inline(__always)
    static func saturatingAdd(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? Int.max : sum
    }

    /// The end of the token that starts `range` (== lowerBound if it does not start with a tchar).
    static func tokenEnd(_ buffer: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int {
        var j = range.lowerBound
        while j < range.upperBound, isTokenChar(load(buffer, j)) { j += 1 }
        return j
    }

    /// Calls `body` with each non-empty element of a comma-separated list, trimmed of OWS, until it returns false.
    /// - Returns: `false` if `body` returned false (stopping early), else `true`.
    @discardableResult
    static func forEachListElement(
        _ buffer: UnsafeRawBufferPointer,
        _ range: Range<Int>,
        _ body: (Range<Int>) -> Bool
    ) -> Bool {
        var j = range.lowerBound
        let end = range.upperBound
        while j < end {
            while j < end, isOWS(load(buffer, j)) || load(buffer, j) == .comma { j += 1 }
            guard j < end else { break }
            let start = j
            var last = j
            while j < end {
                let b = load(buffer, j)
                if b == .comma { break }
                if !isOWS(b) { last = j + 1 }
                j += 1
            }
            if !body(start..<last) { return false }
        }
        return true
    }

    /// Parses a Content-Length value: 1*DIGIT (a list of values, even identical ones, is not accepted).
    /// Values too large for an Int saturate at `Int.max` (then rejected with 413 by the payload limit).
    /// - Returns: The length, or `nil` when the value is not a decimal number.
    static func parseContentLength(_ buffer: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int? {
        guard !range.isEmpty else { return nil }
        var value = 0
        for j in range {
            let b = load(buffer, j)
            guard isDigit(b) else { return nil }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int(b &- UInt8(ascii: "0")))
            value = o1 || o2 ? Int.max : sum
        }
        return value
    }
}

extension UInt8 {
    static let cr = UInt8(ascii: "\r")
    static let lf = UInt8(ascii: "\n")
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let colon = UInt8(ascii: ":")
    static let semicolon = UInt8(ascii: ";")
    static let comma = UInt8(ascii: ",")
    static let questionMark = UInt8(ascii: "?")
    static let slash = UInt8(ascii: "/")
    static let asterisk = UInt8(ascii: "*")
    static let at = UInt8(ascii: "@")
    static let percent = UInt8(ascii: "%")
    static let leftBracket = UInt8(ascii: "[")
    static let rightBracket = UInt8(ascii: "]")
}
