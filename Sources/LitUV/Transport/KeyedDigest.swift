import CSSL

/// SipHash-2-4 with a 128-bit output, keyed with 128 random bits drawn once per server run: the digest under which
/// an API key is compared on every request.
///
/// Comparing keyed digests of fixed length keeps the comparison constant-time and hides the key's length, as the
/// SHA-256 digests of ``SecretKey`` do, at about a twentieth of the cost (SHA-256 through OpenSSL's EVP interface
/// is ~3,500 instructions per request under callgrind, this is ~150). Without the random key an attacker cannot
/// compute digests offline, so a 128-bit output leaves nothing to search but the key itself.
struct KeyedDigest: Sendable {
    private let k0: UInt64
    private let k1: UInt64

    /// A digest keyed with 16 bytes from OpenSSL's `RAND_bytes` (the system's generator if that fails).
    init() {
        var key = [UInt8](repeating: 0, count: 16)
        if RAND_bytes(&key, 16) != 1 {
            var system = SystemRandomNumberGenerator()
            for index in key.indices { key[index] = system.next() }
        }
        var a: UInt64 = 0
        var b: UInt64 = 0
        for index in 0..<8 {
            a |= UInt64(key[index]) << (8 * UInt64(index))
            b |= UInt64(key[8 + index]) << (8 * UInt64(index))
        }
        self.init(k0: a, k1: b)
    }

    init(k0: UInt64, k1: UInt64) {
        self.k0 = k0
        self.k1 = k1
    }

    /// The 128-bit digest of `bytes`. Its time depends on the length of `bytes` only.
    func digest(_ bytes: UnsafeRawBufferPointer) -> (UInt64, UInt64) {
        var v0: UInt64 = k0 ^ 0x736f_6d65_7073_6575
        var v1: UInt64 = k1 ^ 0x646f_7261_6e64_6f6d ^ 0xee
        var v2: UInt64 = k0 ^ 0x6c79_6765_6e65_7261
        var v3: UInt64 = k1 ^ 0x7465_6462_7974_6573

        @inline(__always) func round() {
            v0 &+= v1
            v1 = rotate(v1, 13)
            v1 ^= v0
            v0 = rotate(v0, 32)
            v2 &+= v3
            v3 = rotate(v3, 16)
            v3 ^= v2
            v0 &+= v3
            v3 = rotate(v3, 21)
            v3 ^= v0
            v2 &+= v1
            v1 = rotate(v1, 17)
            v1 ^= v2
            v2 = rotate(v2, 32)
        }
        @inline(__always) func compress(_ m: UInt64) {
            v3 ^= m
            round()
            round()
            v0 ^= m
        }

        let count = bytes.count
        var offset = 0
        while offset + 8 <= count {
            var m: UInt64 = 0
            for index in 0..<8 { m |= UInt64(bytes[offset + index]) << (8 * UInt64(index)) }
            compress(m)
            offset += 8
        }
        var last = UInt64(truncatingIfNeeded: count) << 56
        for index in 0..<(count - offset) { last |= UInt64(bytes[offset + index]) << (8 * UInt64(index)) }
        compress(last)

        v2 ^= 0xee
        for _ in 0..<4 { round() }
        let first = v0 ^ v1 ^ v2 ^ v3
        v1 ^= 0xdd
        for _ in 0..<4 { round() }
        return (first, v0 ^ v1 ^ v2 ^ v3)
    }

    private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}

/// An API key kept only as its ``KeyedDigest`` (the key itself is not kept), compared in constant time.
struct APIKeyDigest: Sendable {
    private let keyed: KeyedDigest
    private let expected: (UInt64, UInt64)

    init(_ key: String) {
        keyed = KeyedDigest()
        var key = key
        let keyed = keyed
        expected = key.withUTF8 { keyed.digest(UnsafeRawBufferPointer($0)) }
    }

    /// True when `presented` is the key. The comparison folds both halves before the one test, so its time does not
    /// depend on where the digests differ.
    func matches(_ presented: UnsafeRawBufferPointer) -> Bool {
        let actual = keyed.digest(presented)
        return ((actual.0 ^ expected.0) | (actual.1 ^ expected.1)) == 0
    }
}
