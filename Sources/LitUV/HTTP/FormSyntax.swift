/// The byte grammar shared by media types, multipart part headers and urlencoded bodies (RFC 9110 §5.6: tokens,
/// quoted-strings, parameters; RFC 3986 percent-encoding). Works on small arrays (header values); none of it is on a
/// body's hot path.
enum FormSyntax {
    /// RFC 9110 `tchar`: ``!#$%&'*+-.^_`|~``, digits and letters.
    static func isTokenChar(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            true
        default: false
        }
    }

    /// SP or HTAB (RFC 9110 `OWS` elements).
    @inline(__always)
    static func isWhitespace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 }

    /// The ASCII lowercase of `c` (other bytes unchanged).
    @inline(__always)
    static func lowercased(_ c: UInt8) -> UInt8 {
        c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z") ? c | 0x20 : c
    }

    /// The lowercase ASCII text of `bytes[range]` (a token).
    static func lowercasedString(_ bytes: [UInt8], _ range: Range<Int>) -> String {
        String(decoding: bytes[range].lazy.map(lowercased), as: UTF8.self)
    }

    /// Skips SP and HTAB from `i`.
    static func skipWhitespace(_ bytes: [UInt8], _ i: inout Int) {
        while i < bytes.count, isWhitespace(bytes[i]) { i += 1 }
    }

    /// Reads a token at `i`, advancing past it.
    /// - Returns: Its range, or `nil` if there is no token character at `i`.
    static func token(_ bytes: [UInt8], _ i: inout Int) -> Range<Int>? {
        let start = i
        while i < bytes.count, isTokenChar(bytes[i]) { i += 1 }
        return i > start ? start..<i : nil
    }

    /// Reads a quoted-string whose opening `"` is at `i` (RFC 9110 §5.6.4: `qdtext` is HTAB, SP, visible ASCII but
    /// `"` and `\`, or obs-text; `\` quotes the next HTAB, SP, visible or obs-text byte), advancing past the closing
    /// quote.
    /// - Returns: The unescaped bytes, or `nil` if it is unterminated or holds a control character.
    static func quotedString(_ bytes: [UInt8], _ i: inout Int) -> [UInt8]? {
        guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { return nil }
        var value: [UInt8] = []
        i += 1
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                return value
            }
            if c == UInt8(ascii: "\\") {
                i += 1
                guard i < bytes.count, isQuotable(bytes[i]) else { return nil }
                value.append(bytes[i])
            } else {
                guard isQuotable(c) else { return nil }
                value.append(c)
            }
            i += 1
        }
        return nil
    }

    /// HTAB, SP, visible ASCII or obs-text (0x80–0xFF): what a quoted-string may carry.
    @inline(__always)
    static func isQuotable(_ c: UInt8) -> Bool { c == 0x09 || (c >= 0x20 && c != 0x7F) }

    /// Reads `*( OWS ";" OWS [ name "=" value ] )` from `i` to the end of `bytes`, where a value is a token or a
    /// quoted-string (RFC 9110 §5.6.6). Names are lowercased; values are unescaped bytes.
    /// - Parameters:
    ///   - bytes: A header value.
    ///   - i: Where the parameters start (just after the media type or disposition type).
    ///   - whitespaceAroundEquals: Whether `BWS` is allowed around `=` (RFC 6266 `Content-Disposition` allows it;
    ///     RFC 9110 media types do not).
    /// - Returns: The parameters in order, or `nil` if the syntax is wrong.
    static func parameters(
        _ bytes: [UInt8],
        from i: Int,
        whitespaceAroundEquals: Bool
    ) -> [(name: String, value: [UInt8])]? {
        var result: [(name: String, value: [UInt8])] = []
        var i = i
        while true {
            skipWhitespace(bytes, &i)
            if i == bytes.count { return result }
            guard bytes[i] == UInt8(ascii: ";") else { return nil }
            i += 1
            skipWhitespace(bytes, &i)
            if i == bytes.count { return result }
            if bytes[i] == UInt8(ascii: ";") { continue }
            guard let name = token(bytes, &i) else { return nil }
            if whitespaceAroundEquals { skipWhitespace(bytes, &i) }
            guard i < bytes.count, bytes[i] == UInt8(ascii: "=") else { return nil }
            i += 1
            if whitespaceAroundEquals { skipWhitespace(bytes, &i) }
            let value: [UInt8]
            if i < bytes.count, bytes[i] == UInt8(ascii: "\"") {
                guard let quoted = quotedString(bytes, &i) else { return nil }
                value = quoted
            } else {
                guard let range = token(bytes, &i) else { return nil }
                value = Array(bytes[range])
            }
            result.append((lowercasedString(bytes, name), value))
        }
    }

    /// The value of a hexadecimal digit, or `nil`.
    @inline(__always)
    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Decodes an RFC 5987 / RFC 8187 `ext-value` (`charset "'" [ language ] "'" value-chars`, e.g.
    /// `UTF-8''%E2%82%AC%20rates.txt`) with charset UTF-8 or ISO-8859-1.
    /// - Returns: The text, or `nil` for another charset, a bad escape, a character outside `attr-char` or invalid
    ///   UTF-8.
    static func extendedValue(_ bytes: [UInt8]) -> String? {
        guard let quote1 = bytes.firstIndex(of: UInt8(ascii: "'")),
            let quote2 = bytes[(quote1 + 1)...].firstIndex(of: UInt8(ascii: "'"))
        else { return nil }
        let charset = lowercasedString(bytes, 0..<quote1)
        guard charset == "utf-8" || charset == "iso-8859-1" else { return nil }
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count - quote2)
        var i = quote2 + 1
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "%") {
                guard i + 2 < bytes.count, let high = hexValue(bytes[i + 1]), let low = hexValue(bytes[i + 2]) else {
                    return nil
                }
                decoded.append(high << 4 | low)
                i += 3
            } else {
                guard isAttrChar(c) else { return nil }
                decoded.append(c)
                i += 1
            }
        }
        if charset == "iso-8859-1" {
            var text = ""
            text.unicodeScalars.append(contentsOf: decoded.map { Unicode.Scalar($0) })
            return text
        }
        return String(validating: decoded, as: UTF8.self)
    }

    /// RFC 8187 `attr-char`: letters, digits and ``!#$&+-.^_`|~``.
    static func isAttrChar(_ c: UInt8) -> Bool {
        isTokenChar(c) && c != UInt8(ascii: "*") && c != UInt8(ascii: "'") && c != UInt8(ascii: "%")
    }
}
