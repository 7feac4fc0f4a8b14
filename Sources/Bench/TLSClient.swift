// TLS for the load generator: OpenSSL 3 client sessions over memory BIOs. libuv moves ciphertext; this file turns
// it into plaintext and back. All of the OpenSSL pointer work of lituv-bench is here.

import CSSL

#if canImport(Glibc)
import Glibc
#endif

/// Why TLS could not be set up or a session failed.
struct TLSClientError: Error, CustomStringConvertible {
    var description: String

    /// The message of OpenSSL's oldest queued error (and clears the queue).
    static func fromQueue(_ context: String) -> TLSClientError {
        var message = context
        let code = ERR_get_error()
        if code != 0 {
            var text = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &text, text.count)
            message +=
                ": " + String(decoding: text.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        ERR_clear_error()
        return TLSClientError(description: message)
    }
}

/// A client `SSL_CTX`, shared by every connection of every load thread (OpenSSL makes `SSL_new` on a shared,
/// configured context thread-safe).
final class TLSClientContext: @unchecked Sendable {
    // @unchecked Sendable: `raw` is configured in init and only read (SSL_new) afterwards; freed in deinit when no
    // session can reference it (each session retains this object).
    let raw: OpaquePointer
    /// The host name sent as SNI (and checked when verifying), nil for an IP address.
    let serverName: String?
    /// Whether the peer's certificate is verified (only with a CA file).
    let verifies: Bool

    /// - Parameters:
    ///   - serverName: The URL's host; used for SNI and certificate checks unless it is an IP literal.
    ///   - caFile: PEM file of trusted CAs. nil: no verification at all (benchmarking self-signed servers).
    init(serverName host: String, caFile: String?) throws(TLSClientError) {
        guard let method = TLS_client_method(), let context = SSL_CTX_new(method) else {
            throw .fromQueue("SSL_CTX_new failed")
        }
        raw = context
        let isIPLiteral = host.contains(":") || host.allSatisfy { $0.isNumber || $0 == "." }
        serverName = isIPLiteral ? nil : host
        verifies = caFile != nil
        _ = CSSL_SSL_CTX_set_min_proto_version(context, CSSL_TLS1_2_VERSION())
        // Fewer buffers held by idle connections.
        _ = CSSL_SSL_CTX_set_mode(context, Int(SSL_MODE_RELEASE_BUFFERS))
        if let caFile {
            guard SSL_CTX_load_verify_locations(context, caFile, nil) == 1 else {
                SSL_CTX_free(context)
                throw .fromQueue("cannot load CA file \(caFile)")
            }
            SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        } else {
            SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
        }
    }

    deinit {
        SSL_CTX_free(raw)
    }
}

/// One TLS client session over memory BIOs. Loop thread only.
///
/// Ciphertext from the socket goes in with ``feed(_:)``; plaintext comes out of ``readPlaintext(into:)``;
/// ``write(_:)`` encrypts; ``takeCiphertext(_:)`` hands what OpenSSL produced to the socket.
final class TLSClientSession {
    enum HandshakeState {
        case inProgress, done
    }

    private let context: TLSClientContext
    private let ssl: OpaquePointer
    /// Ciphertext from the network, read by OpenSSL.
    private let networkIn: OpaquePointer
    /// Ciphertext produced by OpenSSL, to be written to the network.
    private let networkOut: OpaquePointer
    private(set) var handshakeDone = false

    init(context: TLSClientContext) throws(TLSClientError) {
        guard let ssl = SSL_new(context.raw) else { throw .fromQueue("SSL_new failed") }
        guard let rbio = BIO_new(BIO_s_mem()), let wbio = BIO_new(BIO_s_mem()) else {
            SSL_free(ssl)
            throw .fromQueue("BIO_new failed")
        }
        // An empty memory BIO reports "retry" instead of EOF.
        _ = BIO_ctrl(rbio, BIO_C_SET_BUF_MEM_EOF_RETURN, -1, nil)
        _ = BIO_ctrl(wbio, BIO_C_SET_BUF_MEM_EOF_RETURN, -1, nil)
        SSL_set_bio(ssl, rbio, wbio)  // the SSL owns both BIOs now
        SSL_set_connect_state(ssl)
        if let name = context.serverName {
            _ = CSSL_SSL_set_tlsext_host_name(ssl, name)
            if context.verifies { _ = SSL_set1_host(ssl, name) }
        }
        let alpn: [UInt8] = [8] + Array("http/1.1".utf8)
        _ = SSL_set_alpn_protos(ssl, alpn, UInt32(alpn.count))
        self.context = context
        self.ssl = ssl
        self.networkIn = rbio
        self.networkOut = wbio
    }

    deinit {
        SSL_free(ssl)
    }

    /// Advances the handshake. Call after connecting and after every ``feed(_:)`` until it returns `.done`.
    func handshake() throws(TLSClientError) -> HandshakeState {
        if handshakeDone { return .done }
        let result = SSL_do_handshake(ssl)
        if result == 1 {
            handshakeDone = true
            return .done
        }
        let error = SSL_get_error(ssl, result)
        if error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE { return .inProgress }
        throw .fromQueue("TLS handshake failed (SSL error \(error))")
    }

    /// Gives OpenSSL ciphertext read from the socket.
    func feed(_ ciphertext: UnsafeRawBufferPointer) throws(TLSClientError) {
        guard let base = ciphertext.baseAddress, ciphertext.count > 0 else { return }
        let written = BIO_write(networkIn, base, Int32(ciphertext.count))
        guard written == Int32(ciphertext.count) else { throw .fromQueue("BIO_write failed") }
    }

    /// Decrypts into `buffer`.
    /// - Returns: bytes of plaintext (> 0); 0 when OpenSSL needs more ciphertext; nil when the peer closed TLS.
    func readPlaintext(into buffer: UnsafeMutableRawBufferPointer) throws(TLSClientError) -> Int? {
        guard let base = buffer.baseAddress else { return 0 }
        let result = SSL_read(ssl, base, Int32(min(buffer.count, Int(Int32.max))))
        if result > 0 { return Int(result) }
        let error = SSL_get_error(ssl, result)
        switch error {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE: return 0
        case SSL_ERROR_ZERO_RETURN: return nil
        default: throw .fromQueue("SSL_read failed (SSL error \(error))")
        }
    }

    /// Encrypts all of `plaintext` (memory BIOs never push back).
    func write(_ plaintext: UnsafeRawBufferPointer) throws(TLSClientError) {
        guard let base = plaintext.baseAddress, plaintext.count > 0 else { return }
        let result = SSL_write(ssl, base, Int32(plaintext.count))
        guard result == Int32(plaintext.count) else {
            throw .fromQueue("SSL_write failed (SSL error \(SSL_get_error(ssl, result)))")
        }
    }

    /// Hands every pending ciphertext byte to `send`, in pieces no larger than `scratch`.
    func takeCiphertext(scratch: UnsafeMutableRawBufferPointer, _ send: (UnsafeRawBufferPointer) -> Void) {
        guard let base = scratch.baseAddress else { return }
        while BIO_ctrl_pending(networkOut) > 0 {
            let n = BIO_read(networkOut, base, Int32(min(scratch.count, Int(Int32.max))))
            guard n > 0 else { return }
            send(UnsafeRawBufferPointer(start: base, count: Int(n)))
        }
    }
}
