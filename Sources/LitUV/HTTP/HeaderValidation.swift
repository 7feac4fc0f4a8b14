/// Checks of header fields an application or a middleware gives the server to send, so that nothing it sets can
/// split a response or confuse a client (RFC 9110 §5.1, §5.5).
enum HeaderValidation {
    /// Fields the server writes itself (framing, connection management, the date): setting them is refused.
    static let reservedNames: Set<String> = [
        "content-length", "transfer-encoding", "connection", "date", "keep-alive", "upgrade", "trailer",
        "content-encoding",
    ]

    /// Why a field was refused, or nil when it can be sent.
    static func problem(name: String, value: String) -> String? {
        guard !name.isEmpty, name.utf8.allSatisfy(isTokenByte) else {
            return "invalid header name \"\(printable(name))\""
        }
        guard !reservedNames.contains(name.lowercased()) else {
            return "header \(name) is set by the server"
        }
        for byte in value.utf8 where byte < 0x20 && byte != 0x09 || byte == 0x7F {
            return "invalid byte 0x\(String(byte, radix: 16)) in the value of header \(name)"
        }
        return nil
    }

    /// Whether a media type is safe to send as `Content-Type` (visible ASCII, spaces and tabs; a `/`).
    static func isValidMediaType(_ value: String) -> Bool {
        value.contains("/") && value.utf8.allSatisfy { ($0 >= 0x20 && $0 < 0x7F) || $0 == 0x09 }
    }

    /// RFC 9110 `tchar`.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    private static func printable(_ text: String) -> String {
        String(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0) })
    }
}
