import CUV

#if canImport(Glibc)
import Glibc
#endif

/// What a ``TCPConnection`` reports to the protocol layer above it (HTTP, or TLS then HTTP). Loop thread only.
protocol TCPConnectionHandler: AnyObject {
    /// Bytes arrived. They are valid only during the call.
    func connectionDidRead(_ bytes: UnsafeRawBufferPointer)
    /// The peer finished sending (EOF).
    func connectionDidReachEOF()
    /// The connection's timer fired (see ``TCPConnection/setTimer(milliseconds:)``).
    func connectionTimerDidFire()
    /// Every queued byte has been handed to the kernel.
    func connectionDidDrain()
    /// The connection is closed; no further calls follow.
    func connectionDidClose()
}

/// One accepted TCP connection: reading into the loop's shared buffer, ordered writes with `uv_try_write` first,
/// one timer, graceful (lingering) and immediate close.
///
/// Memory: the `uv_tcp_t` and `uv_timer_t` each retain this object through `handle.data` and are freed in their close
/// callbacks; the single `uv_write_t` and the in-flight bytes belong to this object and are freed in `deinit`, which
/// runs only after both close callbacks — so after any write callback, including `UV_ECANCELED` ones.
final class TCPConnection: UVHandleOwner {
    private let tcp: UnsafeMutablePointer<uv_tcp_t>
    private let timer: UnsafeMutablePointer<uv_timer_t>
    private let writeRequest: UnsafeMutablePointer<uv_write_t>
    private let shutdownRequest: UnsafeMutablePointer<uv_shutdown_t>
    let loop: EventLoop
    private enum State { case open, closingAfterFlush, lingering, closed }

    /// The connection's mutable state, declared once. Loop thread only; no access to it overlaps another (no call
    /// that can re-enter the connection is made inside an `inout` access).
    private struct LiveState: ~Copyable {
        /// The protocol handler; released when the connection closes.
        var handler: TCPConnectionHandler?
        var pending = ByteBuffer()
        var inFlight = ByteBuffer()
        var writeInFlight = false
        var openHandles = 2
        var reading = false
        var state = State.open

        /// Makes the unsent rest of `pending` the bytes of the next `uv_write` (`inFlight`), leaving `pending` empty.
        mutating func movePendingToInFlight() {
            pending.swapContents(with: &inFlight)
        }
    }

    // Debug builds (the tests) keep Swift's dynamic exclusivity checks on `live`; release builds turn them off for it,
    // as in `HTTPServerConnection`. The two declarations differ only by that attribute.
    #if DEBUG
    private var live = LiveState()
    #else
    @exclusivity(unchecked) private var live = LiveState()
    #endif

    /// The protocol handler; released when the connection closes.
    var handler: TCPConnectionHandler? {
        get { live.handler }
        set { live.handler = newValue }
    }

    /// How long a lingering close keeps discarding input before closing (ms).
    static let lingerMilliseconds: UInt64 = 2_000

    private init(loop: EventLoop, tcp: UnsafeMutablePointer<uv_tcp_t>, timer: UnsafeMutablePointer<uv_timer_t>) {
        self.loop = loop
        self.tcp = tcp
        self.timer = timer
        writeRequest = .allocate(capacity: 1)
        shutdownRequest = .allocate(capacity: 1)
        super.init()
    }

    deinit {
        writeRequest.deallocate()
        shutdownRequest.deallocate()
    }

    /// Accepts a pending connection from a listening stream, or returns nil (the failure only affects that client).
    static func accept(from server: UnsafeMutablePointer<uv_stream_t>, loop: EventLoop) -> TCPConnection? {
        guard let connection = make(loop: loop) else { return nil }
        if uv_accept(server, UVHandle.stream(connection.tcp)) != 0 {
            connection.closeNow()
            return nil
        }
        _ = uv_tcp_nodelay(connection.tcp, 1)
        return connection
    }

    /// Wraps a socket accepted outside libuv (a listener's backlog taken before it closes), or returns nil and
    /// closes the socket.
    static func adopt(socket: Int32, loop: EventLoop) -> TCPConnection? {
        guard let connection = make(loop: loop) else {
            Glibc.close(socket)
            return nil
        }
        if uv_tcp_open(connection.tcp, socket) != 0 {
            Glibc.close(socket)
            connection.closeNow()
            return nil
        }
        _ = uv_tcp_nodelay(connection.tcp, 1)
        return connection
    }

    /// A connection with its two handles initialised and attached, not yet connected to a socket.
    private static func make(loop: EventLoop) -> TCPConnection? {
        let tcp = UVHandle.allocate(UV_TCP, as: uv_tcp_t.self)
        guard uv_tcp_init(loop.uv, tcp) == 0 else {
            UVHandle.deallocateUnattached(tcp)
            return nil
        }
        let timer = UVHandle.allocate(UV_TIMER, as: uv_timer_t.self)
        guard uv_timer_init(loop.uv, timer) == 0 else {
            UVHandle.deallocateUnattached(timer)
            UVHandle.close(tcp)  // data is nil: the close callback only frees it
            return nil
        }
        let connection = TCPConnection(loop: loop, tcp: tcp, timer: timer)
        UVHandle.attach(tcp, to: connection)
        UVHandle.attach(timer, to: connection)
        return connection
    }

    /// Bytes the kernel received on this connection that have not been read yet (0 once closed or when unknown).
    var unreadByteCount: Int {
        guard live.state != .closed else { return 0 }
        var fd: uv_os_fd_t = -1
        guard uv_fileno(UVHandle.base(tcp), &fd) == 0 else { return 0 }
        return Int(CUV_unread_bytes(fd))
    }

    /// The client's address as `host:port` (`[host]:port` for IPv6), or nil when it cannot be had (closed). Makes a
    /// system call and a string each time: callers keep it.
    var peerAddress: String? {
        guard live.state != .closed else { return nil }
        var storage = sockaddr_storage()
        var length = Int32(MemoryLayout<sockaddr_storage>.size)
        return withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address -> String? in
                guard uv_tcp_getpeername(tcp, address, &length) == 0 else { return nil }
                var text = [CChar](repeating: 0, count: 64)
                guard uv_ip_name(address, &text, text.count) == 0 else { return nil }
                let host = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                let family = Int32(address.pointee.sa_family)
                let port: UInt16
                if family == AF_INET6 {
                    port = pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_port }
                } else {
                    port = pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_port }
                }
                let number = UInt16(bigEndian: port)
                return family == AF_INET6 ? "[\(host)]:\(number)" : "\(host):\(number)"
            }
        }
    }

    /// True until the connection starts closing.
    var isOpen: Bool { live.state == .open }

    /// Starts delivering reads to the handler.
    func startReading() {
        guard live.state == .open || live.state == .lingering, !live.reading else { return }
        if uv_read_start(UVHandle.stream(tcp), connectionAllocCallback, connectionReadCallback) == 0 {
            live.reading = true
        } else {
            closeNow()
        }
    }

    /// Stops reading (back-pressure); ``startReading()`` resumes.
    func stopReading() {
        guard live.reading else { return }
        uv_read_stop(UVHandle.stream(tcp))
        live.reading = false
    }

    /// Queues bytes for writing; they go out on ``flush()``.
    func write(_ bytes: UnsafeRawBufferPointer) {
        guard live.state == .open || live.state == .closingAfterFlush else { return }
        live.pending.append(bytes)
    }

    /// Gives the queued bytes to the output buffer owner for direct appends (avoids an intermediate copy).
    func withOutputBuffer<R>(_ body: (inout ByteBuffer) -> R) -> R {
        body(&live.pending)
    }

    /// Bytes queued and not yet accepted by the kernel: those not handed to libuv yet, and what is left of the write in
    /// flight (libuv's write queue shrinks as the kernel takes its bytes, so a client reading slowly shows progress).
    var queuedByteCount: Int {
        live.pending.count + (live.writeInFlight ? Int(uv_stream_get_write_queue_size(UVHandle.stream(tcp))) : 0)
    }

    /// Sends the queued bytes: `uv_try_write` first, `uv_write` for what the kernel did not take.
    func flush() {
        guard !live.writeInFlight, live.state == .open || live.state == .closingAfterFlush else { return }
        if live.pending.isEmpty {
            finishFlush()
            return
        }
        var buffer = uv_buf_t(base: live.pending.base?.assumingMemoryBound(to: CChar.self), len: live.pending.count)
        let written = uv_try_write(UVHandle.stream(tcp), &buffer, 1)
        if written == Int32(live.pending.count) {
            live.pending.removeAll()
            finishFlush()
            return
        }
        if written < 0 && written != UV_EAGAIN.rawValue {
            closeNow()
            return
        }
        live.pending.consume(Int(max(written, 0)))
        live.movePendingToInFlight()
        var outgoing = uv_buf_t(base: live.inFlight.base?.assumingMemoryBound(to: CChar.self), len: live.inFlight.count)
        live.writeInFlight = true
        if uv_write(writeRequest, UVHandle.stream(tcp), &outgoing, 1, connectionWriteCallback) != 0 {
            live.writeInFlight = false
            closeNow()
        }
    }

    fileprivate func writeDidComplete(status: Int32) {
        live.writeInFlight = false
        live.inFlight.removeAll()
        live.inFlight.shrinkIfEmpty(keepingCapacity: 64 * 1024)
        if status < 0 {
            closeNow()
            return
        }
        flush()
    }

    private func finishFlush() {
        live.pending.shrinkIfEmpty(keepingCapacity: 64 * 1024)
        switch live.state {
        case .open:
            live.handler?.connectionDidDrain()
        case .closingAfterFlush:
            live.handler?.connectionDidDrain()
            beginLinger()
        case .lingering, .closed:
            break
        }
    }

    /// Closes after every queued byte is written: sends FIN, then discards input for a short while so the peer
    /// reads the last response before the socket closes (no RST racing it).
    func closeAfterFlush() {
        guard live.state == .open else { return }
        live.state = .closingAfterFlush
        if !live.writeInFlight { flush() }
    }

    private func beginLinger() {
        live.state = .lingering
        if uv_shutdown(shutdownRequest, UVHandle.stream(tcp), connectionShutdownCallback) != 0 {
            closeNow()
            return
        }
        uv_timer_start(timer, connectionTimerCallback, Self.lingerMilliseconds, 0)
        startReading()
    }

    fileprivate func shutdownDidComplete(status: Int32) {
        if status < 0 { closeNow() }
    }

    /// Closes both handles at once. Idempotent; the handler hears ``TCPConnectionHandler/connectionDidClose()``.
    func closeNow() {
        guard live.state != .closed else { return }
        live.state = .closed
        live.reading = false
        UVHandle.close(tcp)
        UVHandle.close(timer)
        live.pending.removeAll()
        let owner = live.handler
        live.handler = nil
        owner?.connectionDidClose()
    }

    /// Arms the connection's single timer (replacing any earlier deadline).
    func setTimer(milliseconds: UInt64) {
        guard live.state == .open || live.state == .closingAfterFlush else { return }
        uv_timer_start(timer, connectionTimerCallback, milliseconds, 0)
    }

    /// Disarms the timer.
    func cancelTimer() {
        guard live.state == .open || live.state == .closingAfterFlush else { return }
        uv_timer_stop(timer)
    }

    override func handleDidClose(_ handle: UnsafeMutablePointer<uv_handle_t>) {
        live.openHandles -= 1
    }

    fileprivate func didRead(_ count: Int) {
        switch live.state {
        case .open:
            live.handler?.connectionDidRead(UnsafeRawBufferPointer(start: loop.readBuffer.baseAddress, count: count))
        case .lingering, .closingAfterFlush:
            break  // discard: the response that ends this connection is being delivered
        case .closed:
            break
        }
    }

    fileprivate func didReachEOF() {
        switch live.state {
        case .open:
            stopReading()
            live.handler?.connectionDidReachEOF()
        case .lingering:
            closeNow()
        case .closingAfterFlush:
            stopReading()
        case .closed:
            break
        }
    }

    fileprivate func timerDidFire() {
        switch live.state {
        case .open, .closingAfterFlush:
            live.handler?.connectionTimerDidFire()
        case .lingering:
            closeNow()
        case .closed:
            break
        }
    }
}

private func connectionAllocCallback(
    _ handle: UnsafeMutablePointer<uv_handle_t>?,
    _ suggestedSize: Int,
    _ buffer: UnsafeMutablePointer<uv_buf_t>?
) {
    guard let handle, let buffer else { return }
    let loop = EventLoop.of(handle.pointee.loop)
    buffer.pointee = uv_buf_t(
        base: loop.readBuffer.baseAddress?.assumingMemoryBound(to: CChar.self),
        len: loop.readBuffer.count
    )
}

private func connectionReadCallback(
    _ stream: UnsafeMutablePointer<uv_stream_t>?,
    _ nread: Int,
    _ buffer: UnsafePointer<uv_buf_t>?
) {
    guard let stream, let connection = UVHandle.owner(of: stream, as: TCPConnection.self) else { return }
    if nread > 0 {
        connection.didRead(nread)
    } else if nread == Int(UV_EOF.rawValue) {
        connection.didReachEOF()
    } else if nread < 0 {
        connection.closeNow()
    }
}

private func connectionWriteCallback(_ request: UnsafeMutablePointer<uv_write_t>?, _ status: Int32) {
    guard let request, let stream = request.pointee.handle,
        let connection = UVHandle.owner(of: stream, as: TCPConnection.self)
    else { return }
    connection.writeDidComplete(status: status)
}

private func connectionShutdownCallback(_ request: UnsafeMutablePointer<uv_shutdown_t>?, _ status: Int32) {
    guard let request, let stream = request.pointee.handle,
        let connection = UVHandle.owner(of: stream, as: TCPConnection.self)
    else { return }
    connection.shutdownDidComplete(status: status)
}

private func connectionTimerCallback(_ timer: UnsafeMutablePointer<uv_timer_t>?) {
    guard let timer, let connection = UVHandle.owner(of: timer, as: TCPConnection.self) else { return }
    connection.timerDidFire()
}
