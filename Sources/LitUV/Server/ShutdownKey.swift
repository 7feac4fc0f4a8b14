import CSSL

/// The secret that authorises `POST /shutdown`, compared in constant time as a ``SecretKey`` (SHA-256 digests).
struct ShutdownKey: Sendable {
    /// The key itself, kept only to print it once when it was generated.
    let value: String
    /// Whether the server generated the key (then it is printed with a curl line).
    let generated: Bool
    private let secret: SecretKey

    /// Resolves the key when the server starts: the configured key, else `LIT_SHUTDOWN_API_KEY`, else 32 random
    /// bytes from OpenSSL's `RAND_bytes`, base64url-encoded.
    /// - Throws: ``LitServerError`` for an empty key or when no random bytes can be had.
    static func resolve(
        configured: String?,
        environment: String?,
        supervisorGenerated: String? = nil
    ) throws(LitServerError) -> ShutdownKey {
        if let configured {
            return try ShutdownKey(value: configured, generated: false, source: "shutdownAPIKey")
        }
        if let environment {
            return try ShutdownKey(value: environment, generated: false, source: "LIT_SHUTDOWN_API_KEY")
        }
        // Under a supervisor, one generated key for every process ("Several processes").
        if let supervisorGenerated {
            return try ShutdownKey(value: supervisorGenerated, generated: true, source: "the supervisor")
        }
        var random = [UInt8](repeating: 0, count: 32)
        guard RAND_bytes(&random, 32) == 1 else {
            throw .invalidConfiguration("cannot generate a shutdown key: OpenSSL RAND_bytes failed")
        }
        return try ShutdownKey(value: Base64URL.encode(random), generated: true, source: "generated")
    }

    private init(value: String, generated: Bool, source: String) throws(LitServerError) {
        guard !value.isEmpty else {
            throw .invalidConfiguration("the shutdown key (\(source)) is empty")
        }
        self.value = value
        self.generated = generated
        self.secret = SecretKey(value)
    }

    /// True when `presented` is the key. Takes the same time whatever `presented` is.
    func matches(_ presented: UnsafeRawBufferPointer) -> Bool {
        var hasher = SHA256Hasher()
        return secret.matches(presented, using: &hasher)
    }
}

/// Base64url without padding (RFC 4648 §5).
enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= bytes.count {
            let n = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            out += [
                alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)],
                alphabet[Int(n & 63)],
            ]
            index += 3
        }
        let rest = bytes.count - index
        if rest == 1 {
            let n = UInt32(bytes[index]) << 16
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)]]
        } else if rest == 2 {
            let n = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)]]
        }
        return String(decoding: out, as: UTF8.self)
    }
}
