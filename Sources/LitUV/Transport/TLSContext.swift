import CSSL

#if canImport(Glibc)
import Glibc
#endif

// All OpenSSL calls of LitUV's server side live in this file and TLSConnection.swift.

/// An OpenSSL server context (`SSL_CTX`) built from a ``TLSConfiguration``; shared by every TLS connection.
final class TLSContext: @unchecked Sendable {
    // Invariant for @unchecked Sendable: the SSL_CTX is fully configured in init and never changed afterwards;
    // OpenSSL documents SSL_CTX as safe to share between threads for SSL_new and the session cache.
    let context: OpaquePointer
    let handshakeTimeoutNanoseconds: UInt64

    /// The Mozilla "intermediate" TLS 1.2 suites (ECDHE only), in the server's order of preference; TLS 1.3 uses
    /// OpenSSL's defaults.
    static let tls12Ciphers =
        "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
        + "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

    /// Builds and checks the context.
    /// - Throws: ``TLSError`` naming the file and OpenSSL's reasons.
    init(_ configuration: TLSConfiguration) throws(TLSError) {
        handshakeTimeoutNanoseconds = configuration.handshakeTimeout.nanoseconds
        TLSContext.clearErrors()
        guard let context = SSL_CTX_new(TLS_server_method()) else {
            throw TLSContext.error("creating the TLS context")
        }
        self.context = context
        let minimum = configuration.minimumVersion == .tls13 ? CSSL_TLS1_3_VERSION() : CSSL_TLS1_2_VERSION()
        guard CSSL_SSL_CTX_set_min_proto_version(context, minimum) == 1 else {
            throw TLSContext.error("setting the minimum TLS version")
        }
        _ = CSSL_SSL_CTX_set_options64(context, CSSL_SERVER_OPTIONS())
        _ = CSSL_SSL_CTX_set_mode(context, CSSL_SERVER_MODES())
        guard SSL_CTX_set_cipher_list(context, TLSContext.tls12Ciphers) == 1 else {
            throw TLSContext.error("setting the cipher suites")
        }
        // Resumption: the server-side session cache and tickets (on by default) need a session id context.
        let sessionContext: [UInt8] = Array("lituv".utf8)
        _ = SSL_CTX_set_session_id_context(context, sessionContext, UInt32(sessionContext.count))
        SSL_CTX_set_alpn_select_cb(context, tlsALPNSelectCallback, nil)
        try loadCertificateChain(configuration.certificateChain)
        try loadPrivateKey(configuration.privateKey, password: configuration.privateKeyPassword)
        guard SSL_CTX_check_private_key(context) == 1 else {
            throw TLSContext.error(
                "the private key \(Self.describe(configuration.privateKey)) does not match the certificate "
                    + Self.describe(configuration.certificateChain)
            )
        }
    }

    deinit {
        SSL_CTX_free(context)
    }

    /// A new `SSL` object for one connection, or nil when OpenSSL is out of memory.
    func makeSSL() -> OpaquePointer? {
        SSL_new(context)
    }

    private static func describe(_ source: TLSConfiguration.Source) -> String {
        switch source {
        case .file(let path): path
        case .pem: "(PEM in memory)"
        }
    }

    private static func readPEM(_ source: TLSConfiguration.Source, what: String) throws(TLSError) -> [UInt8] {
        switch source {
        case .pem(let bytes):
            return bytes
        case .file(let path):
            guard let file = fopen(path, "rb") else {
                let reason = String(cString: strerror(errno))
                throw TLSError(operation: "cannot read the \(what) file \(path)", reasons: [reason])
            }
            defer { fclose(file) }
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 16 * 1024)
            while true {
                let n = fread(&chunk, 1, chunk.count, file)
                if n <= 0 { break }
                bytes += chunk[0..<n]
            }
            return bytes
        }
    }

    /// A memory BIO holding its own copy of `bytes`. (`BIO_new_mem_buf` would only borrow them, and a
    /// pointer from `withUnsafeBytes` is dead once the closure returns: in release builds the array can be freed
    /// right after its last use, before OpenSSL reads it.)
    private static func memoryBIO(copying bytes: [UInt8]) -> OpaquePointer? {
        guard let bio = BIO_new(BIO_s_mem()) else { return nil }
        let written = bytes.withUnsafeBytes { BIO_write(bio, $0.baseAddress, Int32(clamping: $0.count)) }
        guard bytes.isEmpty || written == Int32(clamping: bytes.count) else {
            BIO_free(bio)
            return nil
        }
        return bio
    }

    private func loadCertificateChain(_ source: TLSConfiguration.Source) throws(TLSError) {
        let where_ = "the certificate chain \(Self.describe(source))"
        let pem = try Self.readPEM(source, what: "certificate")
        guard let bio = Self.memoryBIO(copying: pem) else { throw Self.error("loading \(where_)") }
        defer { BIO_free(bio) }
        guard let leaf = PEM_read_bio_X509(bio, nil, nil, nil) else {
            throw Self.error("loading \(where_): no PEM certificate found")
        }
        defer { X509_free(leaf) }
        guard SSL_CTX_use_certificate(context, leaf) == 1 else { throw Self.error("using \(where_)") }
        while let extra = PEM_read_bio_X509(bio, nil, nil, nil) {
            // On success the context owns `extra`.
            guard CSSL_SSL_CTX_add_extra_chain_cert(context, extra) == 1 else {
                X509_free(extra)
                throw Self.error("adding an intermediate certificate from \(where_)")
            }
        }
        Self.clearErrors()  // the loop ends with a benign "no start line"
    }

    private func loadPrivateKey(_ source: TLSConfiguration.Source, password: String?) throws(TLSError) {
        let where_ = "the private key \(Self.describe(source))"
        let pem = try Self.readPEM(source, what: "private key")
        guard let bio = Self.memoryBIO(copying: pem) else { throw Self.error("loading \(where_)") }
        defer { BIO_free(bio) }
        // With no callback, OpenSSL takes `u` as the NUL-terminated passphrase; an empty one for unencrypted keys.
        let key = (password ?? "").withCString { passphrase in
            PEM_read_bio_PrivateKey(bio, nil, nil, UnsafeMutableRawPointer(mutating: passphrase))
        }
        guard let key else { throw Self.error("loading \(where_)") }
        defer { EVP_PKEY_free(key) }
        guard SSL_CTX_use_PrivateKey(context, key) == 1 else { throw Self.error("using \(where_)") }
    }

    /// Drains OpenSSL's error queue into a ``TLSError``.
    static func error(_ operation: String) -> TLSError {
        TLSError(operation: operation, reasons: drainErrors())
    }

    static func drainErrors() -> [String] {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
            reasons.append(String(decoding: bytes, as: UTF8.self))
        }
        return reasons
    }

    static func clearErrors() {
        ERR_clear_error()
    }
}

/// ALPN: choose `http/1.1` when offered; otherwise go on without ALPN (an HTTP/1.1 client that sent none is fine).
private func tlsALPNSelectCallback(
    _ ssl: OpaquePointer?,
    _ out: UnsafeMutablePointer<UnsafePointer<UInt8>?>?,
    _ outLength: UnsafeMutablePointer<UInt8>?,
    _ input: UnsafePointer<UInt8>?,
    _ inputLength: UInt32,
    _ arg: UnsafeMutableRawPointer?
) -> Int32 {
    guard let out, let outLength, let input else { return SSL_TLSEXT_ERR_NOACK }
    var index = 0
    let count = Int(inputLength)
    while index < count {
        let length = Int(input[index])
        let start = index + 1
        if start + length > count { break }
        if length == 8 {
            let protocolName = UnsafeBufferPointer(start: input + start, count: length)
            if protocolName.elementsEqual("http/1.1".utf8) {
                out.pointee = input + start
                outLength.pointee = UInt8(length)
                return SSL_TLSEXT_ERR_OK
            }
        }
        index = start + length
    }
    return SSL_TLSEXT_ERR_NOACK
}
