/// Parses `Bearer <token>` (scheme case-insensitive, surrounding spaces ignored) without allocating.
enum BearerToken {
    /// The token of an `Authorization` value, or nil when the scheme is not Bearer or the token is empty.
    static func parse(_ value: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        let scheme = Array("bearer".utf8)
        guard value.count > scheme.count else { return nil }
        for (index, expected) in scheme.enumerated() where value[index] | 0x20 != expected {
            return nil
        }
        guard value[scheme.count] == UInt8(ascii: " ") else { return nil }
        var start = scheme.count
        var end = value.count
        while start < end && value[start] == UInt8(ascii: " ") { start += 1 }
        while end > start && value[end - 1] == UInt8(ascii: " ") { end -= 1 }
        guard start < end else { return nil }
        return UnsafeRawBufferPointer(rebasing: value[start..<end])
    }
}
