import CSSL

/// A secret (an API key, the shutdown key) kept only as its SHA-256 digest, and compared in constant time.
///
/// A presented value is hashed and the two 32-byte digests are compared with OpenSSL's `CRYPTO_memcmp`, so neither
/// the secret's length nor the length of a matching prefix changes how long a comparison takes.
struct SecretKey: Sendable {
    private let digest: [UInt8]

    /// Keeps the digest of `value` (the value itself is not kept).
    init(_ value: String) {
        var hasher = SHA256Hasher()
        digest = Array(value.utf8).withUnsafeBytes { hasher.digest($0) }
    }

    /// True when `presented` is the secret. Takes the same time whatever `presented` is (beyond hashing its bytes).
    /// - Parameter hasher: A hasher the caller owns (one per thread), so that no hashing state is allocated per call.
    func matches(_ presented: UnsafeRawBufferPointer, using hasher: inout SHA256Hasher) -> Bool {
        let other = hasher.digest(presented)
        return digest.withUnsafeBytes { a in
            other.withUnsafeBytes { b in CRYPTO_memcmp(a.baseAddress, b.baseAddress, 32) == 0 }
        }
    }
}

/// SHA-256 through OpenSSL's EVP interface with the algorithm fetched once and one context reused for every digest
/// (about 4× faster than the one-shot `SHA256()` of OpenSSL 3, which fetches the algorithm on every call). Not
/// thread-safe: one per thread (the shutdown key's check makes its own; API keys use `KeyedDigest`).
struct SHA256Hasher: ~Copyable {
    private let algorithm: OpaquePointer?
    private let context: OpaquePointer?

    init() {
        algorithm = EVP_MD_fetch(nil, "SHA256", nil)
        context = EVP_MD_CTX_new()
    }

    deinit {
        EVP_MD_CTX_free(context)
        EVP_MD_free(algorithm)
    }

    /// The 32-byte digest of `bytes`. Falls back to the one-shot function if the fetch or the context failed.
    mutating func digest(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        if let algorithm, let context, EVP_DigestInit_ex(context, algorithm, nil) == 1,
            EVP_DigestUpdate(context, bytes.baseAddress, bytes.count) == 1,
            EVP_DigestFinal_ex(context, &out, &length) == 1
        {
            return out
        }
        _ = SHA256(bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count, &out)
        return out
    }
}
