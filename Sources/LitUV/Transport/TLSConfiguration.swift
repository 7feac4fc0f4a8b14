/// How a server speaks TLS: the certificate chain and key, and the protocol floor.
///
/// TLS 1.2 and 1.3 only, Mozilla "intermediate" cipher suites for TLS 1.2 (ECDHE with AES-GCM or ChaCha20-Poly1305)
/// in the server's order (ChaCha20 for clients that prefer it), ALPN `http/1.1`, session resumption with tickets,
/// renegotiation off, close_notify on every close of an established session. A certificate or key that cannot be read, or
/// a key that does not match the certificate, is a startup error that names the file and OpenSSL's reason.
public struct TLSConfiguration: Sendable {
    /// PEM data, from a file or in memory.
    public enum Source: Sendable {
        /// A PEM file on disk.
        case file(String)
        /// PEM bytes in memory.
        case pem([UInt8])
    }

    /// The lowest protocol version accepted.
    public enum MinimumVersion: Sendable {
        case tls12, tls13
    }

    /// The certificate chain: the leaf first, then intermediates.
    public var certificateChain: Source
    /// The private key of the leaf certificate.
    public var privateKey: Source
    /// The key's passphrase, if it is encrypted.
    public var privateKeyPassword: String?
    /// The protocol floor. Default TLS 1.2.
    public var minimumVersion: MinimumVersion
    /// How long a client may take to complete the handshake. Default 10 s.
    public var handshakeTimeout: Duration

    /// Creates a configuration.
    /// - Parameters:
    ///   - certificateChain: PEM certificate chain, leaf first.
    ///   - privateKey: PEM private key of the leaf.
    ///   - privateKeyPassword: Passphrase for an encrypted key.
    ///   - minimumVersion: TLS 1.2 (default) or 1.3.
    ///   - handshakeTimeout: Handshake deadline. Default 10 s.
    public init(
        certificateChain: Source,
        privateKey: Source,
        privateKeyPassword: String? = nil,
        minimumVersion: MinimumVersion = .tls12,
        handshakeTimeout: Duration = .seconds(10)
    ) {
        self.certificateChain = certificateChain
        self.privateKey = privateKey
        self.privateKeyPassword = privateKeyPassword
        self.minimumVersion = minimumVersion
        self.handshakeTimeout = handshakeTimeout
    }

    /// Reads the certificate chain and key from PEM files.
    public static func files(certificate: String, key: String, password: String? = nil) -> TLSConfiguration {
        TLSConfiguration(certificateChain: .file(certificate), privateKey: .file(key), privateKeyPassword: password)
    }
}

/// A TLS failure with every reason OpenSSL queued (the whole `ERR_get_error` queue).
public struct TLSError: Error, Sendable, CustomStringConvertible {
    /// What LitUV was doing, e.g. `loading the private key from /etc/key.pem`.
    public let operation: String
    /// OpenSSL's reasons, oldest first.
    public let reasons: [String]

    init(operation: String, reasons: [String]) {
        self.operation = operation
        self.reasons = reasons
    }

    public var description: String {
        reasons.isEmpty ? operation : "\(operation): \(reasons.joined(separator: "; "))"
    }
}
