/// A connection as the HTTP layer sees it: plaintext in, plaintext out. ``TCPConnection`` is one; a
/// ``TLSConnection`` is another, wrapping a TCP connection. Loop thread only.
protocol ByteStream: AnyObject {
    /// Who hears about reads, EOF, timers, drains and the close.
    var handler: TCPConnectionHandler? { get set }
    /// Starts delivering reads.
    func startReading()
    /// Stops reading (back-pressure).
    func stopReading()
    /// Lets the caller append plaintext to the pending output in place.
    func withOutputBuffer<R>(_ body: (inout ByteBuffer) -> R) -> R
    /// Bytes written by the caller and not yet accepted by the kernel.
    var queuedByteCount: Int { get }
    /// Sends what is pending.
    func flush()
    /// Closes once everything pending is sent (gracefully, with TLS close_notify where it applies).
    func closeAfterFlush()
    /// Closes at once.
    func closeNow()
    /// Arms the connection's single timer.
    func setTimer(milliseconds: UInt64)
    /// Disarms the timer.
    func cancelTimer()
    /// The TLS server name (SNI) the client asked for; nil for plain TCP.
    var serverName: String? { get }
    /// The client's address, `host:port` (a system call each time: callers keep it).
    var peerAddress: String? { get }
    /// Bytes received by the kernel and not read yet: an upper bound of the plaintext still to come from what the
    /// client has already sent (ciphertext on TLS connections).
    var unreadByteCount: Int { get }
}

extension TCPConnection: ByteStream {
    var serverName: String? { nil }
}
