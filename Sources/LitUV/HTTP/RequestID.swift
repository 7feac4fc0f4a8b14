/// A request's identifier, sent back as `X-Request-Id` and put in its context, log lines and error bodies.
///
/// Either the client's own (`X-Request-Id` when it is valid: 1 to ``maxLength`` visible ASCII characters other than
/// `"` and `\`, so it is safe in a header, a JSON string and a log line) or one the server generated: 128 random
/// bits written as 32 lowercase hex digits. A generated id is two integers until someone needs its text, so making
/// one allocates nothing.
struct RequestID: Sendable, Equatable {
    enum Storage: Sendable, Equatable {
        case generated(UInt64, UInt64)
        case received(String)
    }

    /// The longest client-sent id accepted; a longer one is replaced by a generated id.
    static let maxLength = 128

    let storage: Storage

    /// The id as text.
    var string: String {
        switch storage {
        case .received(let value):
            return value
        case .generated(let high, let low):
            return String(unsafeUninitializedCapacity: 32) { out in
                Self.writeHex(high, low, into: UnsafeMutableRawBufferPointer(out))
                return 32
            }
        }
    }

    /// Appends the id's text to `buffer` without building a `String`.
    func append(to buffer: inout ByteBuffer) {
        switch storage {
        case .received(let value):
            buffer.append(value)
        case .generated(let high, let low):
            _ = buffer.appendInPlace(maxCount: 32) { out in
                Self.writeHex(high, low, into: out)
                return 32
            }
        }
    }

    /// The client's id when `value` is a valid one, else nil (the caller then generates one).
    static func received(_ value: UnsafeRawBufferPointer) -> RequestID? {
        guard !value.isEmpty, value.count <= maxLength else { return nil }
        for byte in value where byte < 0x21 || byte > 0x7E || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
            return nil
        }
        return RequestID(storage: .received(String(decoding: value, as: UTF8.self)))
    }

    private static func writeHex(_ high: UInt64, _ low: UInt64, into out: UnsafeMutableRawBufferPointer) {
        let digits: StaticString = "0123456789abcdef"
        for index in 0..<16 {
            let shift = UInt64(60 - 4 * index)
            out[index] = digits.utf8Start[Int((high >> shift) & 15)]
            out[16 + index] = digits.utf8Start[Int((low >> shift) & 15)]
        }
    }
}

/// Makes request ids: xoshiro256** seeded once from the system's random source. One per I/O loop (loop thread
/// only); ids are unique for practical purposes (128 bits), not secret.
struct RequestIDGenerator {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    init() {
        var system = SystemRandomNumberGenerator()
        state = (system.next(), system.next(), system.next(), system.next())
        if state == (0, 0, 0, 0) { state.0 = 0x9E37_79B9_7F4A_7C15 }
    }

    /// A new id.
    mutating func next() -> RequestID {
        RequestID(storage: .generated(nextWord(), nextWord()))
    }

    private mutating func nextWord() -> UInt64 {
        let result = rotate(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotate(state.3, 45)
        return result
    }

    private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}
