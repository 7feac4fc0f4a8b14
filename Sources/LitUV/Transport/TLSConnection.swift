import CSSL

/// TLS over a ``TCPConnection`` with OpenSSL memory BIOs: libuv reads and writes ciphertext; this class feeds it to
/// OpenSSL and hands plaintext to the HTTP layer above. Loop thread only.
///
/// Reads: ciphertext → `BIO_write` (read BIO) → `SSL_read` → handler. Writes: handler's plaintext → `SSL_write` →
/// `BIO_read` (write BIO) → the TCP connection's output. Every call that may produce ciphertext (handshake, read —
/// which may answer key updates and send session tickets —, write, shutdown) is followed by a drain of the write BIO,
/// so nothing stays stuck in a BIO.
final class TLSConnection: ByteStream, TCPConnectionHandler {
    private let tcp: TCPConnection
    private let ssl: OpaquePointer
    private let readBIO: OpaquePointer
    private let writeBIO: OpaquePointer
    private let context: TLSContext
    private let onHandshakeFailure: () -> Void
    private var plaintextOut = ByteBuffer()
    private var handshaking = true
    private var closed = false
    /// OpenSSL reported a fatal error: the session must not send anything more (no close_notify either).
    private var failed = false
    private var closeNotifySent = false
    /// A timer the HTTP layer asked for during the handshake, applied once it completes.
    private var deferredTimer: UInt64?
    /// The server name the client asked for (SNI), once the handshake completed.
    private(set) var serverName: String?
    /// Whether the handshake resumed an earlier session.
    private(set) var resumedSession = false
    var handler: TCPConnectionHandler?

    /// Wraps an accepted TCP connection, or returns nil (and closes it) when OpenSSL cannot allocate.
    init?(tcp: TCPConnection, context: TLSContext, onHandshakeFailure: @escaping () -> Void) {
        guard let ssl = context.makeSSL() else {
            tcp.closeNow()
            return nil
        }
        guard let readBIO = BIO_new(BIO_s_mem()), let writeBIO = BIO_new(BIO_s_mem()) else {
            SSL_free(ssl)
            tcp.closeNow()
            return nil
        }
        self.tcp = tcp
        self.ssl = ssl
        self.readBIO = readBIO
        self.writeBIO = writeBIO
        self.context = context
        self.onHandshakeFailure = onHandshakeFailure
        SSL_set_bio(ssl, readBIO, writeBIO)  // the SSL owns both BIOs from here on
        SSL_set_accept_state(ssl)
        tcp.handler = self
    }

    deinit {
        SSL_free(ssl)
    }

    // MARK: ByteStream (the HTTP side)

    func startReading() {
        if handshaking {
            tcp.setTimer(milliseconds: max(1, context.handshakeTimeoutNanoseconds / 1_000_000))
        }
        tcp.startReading()
    }

    func stopReading() { tcp.stopReading() }

    var peerAddress: String? { tcp.peerAddress }

    func withOutputBuffer<R>(_ body: (inout ByteBuffer) -> R) -> R { body(&plaintextOut) }

    var queuedByteCount: Int { plaintextOut.count + tcp.queuedByteCount }

    var unreadByteCount: Int { tcp.unreadByteCount }

    func flush() {
        guard !closed, !handshaking else { return }
        while !plaintextOut.isEmpty {
            let written = SSL_write(ssl, plaintextOut.base, Int32(clamping: plaintextOut.count))
            if written <= 0 {
                let error = SSL_get_error(ssl, written)
                if error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE {
                    TLSContext.clearErrors()
                    failed = true
                    closeNow()
                    return
                }
                break
            }
            plaintextOut.consume(Int(written))
        }
        drainCiphertext()
        tcp.flush()
    }

    func closeAfterFlush() {
        guard !closed else { return }
        flush()
        queueCloseNotify()
        tcp.closeAfterFlush()
    }

    /// Closes at once. An established session still says goodbye with close_notify, best effort: the alert is
    /// offered to the kernel (`uv_try_write`, which an idle socket takes at once) before the socket closes, so a
    /// graceful shutdown or a timeout is not mistaken for a truncation attack by the client.
    func closeNow() {
        if !closed {
            closed = true  // from here on nothing reaches the HTTP layer but the close
            queueCloseNotify()
            tcp.flush()
        }
        tcp.closeNow()
    }

    /// Queues close_notify once, when the handshake completed and no fatal error occurred.
    private func queueCloseNotify() {
        guard !handshaking, !failed, !closeNotifySent else { return }
        closeNotifySent = true
        _ = SSL_shutdown(ssl)
        TLSContext.clearErrors()
        drainCiphertext()
    }

    func setTimer(milliseconds: UInt64) {
        if handshaking {
            deferredTimer = milliseconds
        } else {
            tcp.setTimer(milliseconds: milliseconds)
        }
    }

    func cancelTimer() {
        if handshaking {
            deferredTimer = nil
        } else {
            tcp.cancelTimer()
        }
    }

    // MARK: TCPConnectionHandler (the ciphertext side)

    func connectionDidRead(_ bytes: UnsafeRawBufferPointer) {
        guard !closed else { return }
        var offset = 0
        while offset < bytes.count {
            let written = BIO_write(readBIO, bytes.baseAddress! + offset, Int32(clamping: bytes.count - offset))
            if written <= 0 {
                failed = true
                closeNow()
                return
            }
            offset += Int(written)
        }
        if handshaking && !continueHandshake() { return }
        readPlaintext()
        drainCiphertext()
        tcp.flush()
    }

    /// Returns false when the connection is being closed.
    private func continueHandshake() -> Bool {
        let status = SSL_do_handshake(ssl)
        if status == 1 {
            handshaking = false
            resumedSession = CSSL_SSL_session_reused(ssl) == 1
            if let name = CSSL_SSL_get_servername(ssl) { serverName = String(cString: name) }
            if let deferredTimer {
                tcp.setTimer(milliseconds: deferredTimer)
            } else {
                tcp.cancelTimer()
            }
            deferredTimer = nil
            return true
        }
        let error = SSL_get_error(ssl, status)
        drainCiphertext()
        if error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE {
            tcp.flush()
            return false
        }
        // A failed handshake (garbage, plain HTTP, old protocol versions): send the alert, close this one only.
        TLSContext.clearErrors()
        onHandshakeFailure()
        closed = true
        tcp.closeAfterFlush()
        return false
    }

    private func readPlaintext() {
        let scratch = tcp.loop.readBuffer  // the ciphertext was copied into the BIO, so the buffer is free again
        while !closed {
            let n = SSL_read(ssl, scratch.baseAddress, Int32(clamping: scratch.count))
            if n > 0 {
                handler?.connectionDidRead(UnsafeRawBufferPointer(start: scratch.baseAddress, count: Int(n)))
                continue
            }
            let error = SSL_get_error(ssl, n)
            switch error {
            case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
                return
            case SSL_ERROR_ZERO_RETURN:
                // close_notify from the peer: the TLS equivalent of EOF.
                handler?.connectionDidReachEOF()
                return
            default:
                TLSContext.clearErrors()
                failed = true
                closeNow()
                return
            }
        }
    }

    /// Moves every ciphertext byte OpenSSL produced into the TCP connection's output.
    private func drainCiphertext() {
        while true {
            let pending = Int(CSSL_BIO_get_mem_pending(writeBIO))
            if pending <= 0 { return }
            let moved = tcp.withOutputBuffer { buffer in
                buffer.appendInPlace(maxCount: pending) { space in
                    Int(max(0, BIO_read(writeBIO, space.baseAddress, Int32(clamping: space.count))))
                }
            }
            if moved <= 0 { return }
        }
    }

    func connectionDidReachEOF() {
        if handshaking {
            closeNow()
        } else {
            handler?.connectionDidReachEOF()
        }
    }

    func connectionTimerDidFire() {
        if handshaking {
            onHandshakeFailure()
            closeNow()
        } else {
            handler?.connectionTimerDidFire()
        }
    }

    func connectionDidDrain() {
        if !handshaking && !closed { handler?.connectionDidDrain() }
    }

    func connectionDidClose() {
        closed = true
        let handler = self.handler
        self.handler = nil
        handler?.connectionDidClose()
    }
}
