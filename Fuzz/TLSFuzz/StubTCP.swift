// A stand-in for the TCP layer under `TLSConnection`, so that the real Sources/LitUV/Transport/TLSConnection.swift
// (with TLSContext.swift, TLSConfiguration.swift, ByteStream.swift and ByteBuffer.swift) is compiled into the fuzz
// target without libuv: no loop, no socket. It has the members TLSConnection uses, with the same meaning:
// `connectionDidRead` is called by the harness with the "ciphertext from the client", what TLSConnection writes to
// the output buffer is "sent to the client" on `flush`, and a close is recorded and reported to the handler later
// (`deliverClose`), as libuv's close callback would.

/// Who hears about reads, EOF, timers, drains and the close (the same protocol as in TCPConnection.swift).
protocol TCPConnectionHandler: AnyObject {
    func connectionDidRead(_ bytes: UnsafeRawBufferPointer)
    func connectionDidReachEOF()
    func connectionTimerDidFire()
    func connectionDidDrain()
    func connectionDidClose()
}

/// The loop's shared read buffer, which TLSConnection reuses for plaintext.
final class EventLoop {
    let readBuffer: UnsafeMutableRawBufferPointer

    init(readBufferSize: Int) {
        readBuffer = .allocate(byteCount: readBufferSize, alignment: 16)
    }

    deinit {
        readBuffer.deallocate()
    }
}

/// A TCP connection that sends nowhere: output accumulates in `sent` on `flush`, and a close is only recorded.
final class TCPConnection {
    let loop: EventLoop
    var handler: TCPConnectionHandler?
    private var pending = ByteBuffer()
    /// Every byte flushed "to the client", in order.
    private(set) var sent: [UInt8] = []
    private(set) var closed = false
    private(set) var closingAfterFlush = false
    private(set) var timerMilliseconds: UInt64?
    private(set) var reading = false

    init(loop: EventLoop) {
        self.loop = loop
    }

    func startReading() { reading = true }
    func stopReading() { reading = false }

    func withOutputBuffer<R>(_ body: (inout ByteBuffer) -> R) -> R { body(&pending) }

    var queuedByteCount: Int { pending.count }
    var unreadByteCount: Int { 0 }
    var peerAddress: String? { nil }

    func flush() {
        guard !closed else {
            pending.removeAll()
            return
        }
        sent.append(contentsOf: pending.bytes)
        pending.removeAll()
    }

    /// Takes the bytes sent so far (the harness hands them to an in-process client).
    func takeSent() -> [UInt8] {
        defer { sent.removeAll(keepingCapacity: true) }
        return sent
    }

    func closeAfterFlush() {
        flush()
        closingAfterFlush = true
        closeNow()
    }

    func closeNow() {
        closed = true
    }

    /// What libuv's close callbacks do later on the loop: tells the handler, once, and lets it go.
    func deliverClose() {
        guard closed, let owner = handler else { return }
        handler = nil
        owner.connectionDidClose()
    }

    func setTimer(milliseconds: UInt64) { timerMilliseconds = milliseconds }
    func cancelTimer() { timerMilliseconds = nil }
}
