import CUV

#if canImport(Glibc)
import Glibc
#endif

/// A listening TCP socket on one event loop, bound with SO_REUSEPORT so every loop can have its own listener
/// on the same port and the kernel spreads new connections between them.
final class TCPListener: UVHandleOwner {
    private let handle: UnsafeMutablePointer<uv_tcp_t>
    private let loop: EventLoop
    private let onAccept: (TCPConnection) -> Void
    private var isClosed = false
    /// The port the socket is bound to (the real one when port 0 was asked for).
    private(set) var port: Int = 0

    /// Binds and starts listening. Loop thread only.
    /// - Parameters:
    ///   - loop: The loop whose thread accepts connections.
    ///   - address: Where to listen.
    ///   - backlog: The listen backlog.
    ///   - onAccept: Called on the loop thread with each accepted connection (not yet reading).
    /// - Throws: ``UVError`` naming the failed step and the address.
    init(
        loop: EventLoop,
        address: SocketAddress,
        backlog: Int32,
        onAccept: @escaping (TCPConnection) -> Void
    ) throws(UVError) {
        loop.assertInLoop()
        _ = Self.sigpipeIgnored
        self.loop = loop
        self.onAccept = onAccept
        handle = UVHandle.allocate(UV_TCP, as: uv_tcp_t.self)
        super.init()
        let initStatus = uv_tcp_init_ex(loop.uv, handle, UInt32(address.family))
        if initStatus < 0 {
            UVHandle.deallocateUnattached(handle)
            throw UVError(code: initStatus, operation: "uv_tcp_init_ex")
        }
        UVHandle.attach(handle, to: self)
        do throws(UVError) {
            var fd: uv_os_fd_t = -1
            try UVError.check(uv_fileno(UVHandle.base(handle), &fd), "uv_fileno")
            try UVError.check(CUV_set_reuseport(fd), "setsockopt SO_REUSEPORT")
            try UVError.check(
                address.withSockAddr { sockaddr, _ in uv_tcp_bind(handle, sockaddr, 0) },
                "bind \(address)"
            )
            try UVError.check(
                uv_listen(UVHandle.stream(handle), backlog, listenerConnectionCallback),
                "listen \(address)"
            )
            port = try Self.boundPort(handle)
        } catch {
            close()
            throw error
        }
    }

    /// libuv writes with write(2)/writev(2), which raise SIGPIPE when the peer has reset the connection; its default
    /// action would kill the whole server for one vanished client. Ignored once per process (as SwiftNIO does), so
    /// the write fails with EPIPE and only that connection closes.
    private static let sigpipeIgnored: Bool = {
        _ = signal(SIGPIPE, SIG_IGN)
        return true
    }()

    /// Stops accepting and closes the socket at once, so the port can be bound again immediately. Idempotent.
    func close() {
        if isClosed { return }
        isClosed = true
        UVHandle.close(handle)
    }

    override func handleDidClose(_ handle: UnsafeMutablePointer<uv_handle_t>) {
        isClosed = true
    }

    private static func boundPort(_ handle: UnsafeMutablePointer<uv_tcp_t>) throws(UVError) -> Int {
        var storage = sockaddr_storage()
        var length = Int32(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { uv_tcp_getsockname(handle, $0, &length) }
        }
        try UVError.check(status, "getsockname")
        return withUnsafeBytes(of: storage) { raw in
            // sin_port and sin6_port sit at the same offset, in network byte order.
            let port = raw.load(fromByteOffset: 2, as: UInt16.self)
            return Int(UInt16(bigEndian: port))
        }
    }

    /// Accepts every connection waiting in the kernel's backlog, so that closing the listener right after resets
    /// none of them. Loop thread only.
    /// - Parameter onAccept: Called with each accepted connection (not yet reading).
    func acceptBacklog(_ onAccept: (TCPConnection) -> Void) {
        guard !isClosed else { return }
        var fd: uv_os_fd_t = -1
        guard uv_fileno(UVHandle.base(handle), &fd) == 0 else { return }
        while true {
            let socket = CUV_accept_pending(fd)
            if socket < 0 {
                if socket == -EINTR || socket == -ECONNABORTED { continue }
                return  // EAGAIN: the backlog is empty (or the listener failed: nothing left to take)
            }
            if let connection = TCPConnection.adopt(socket: socket, loop: loop) { onAccept(connection) }
        }
    }

    fileprivate func acceptOne(status: Int32) {
        guard status >= 0, !isClosed else { return }
        guard let connection = TCPConnection.accept(from: UVHandle.stream(handle), loop: loop) else { return }
        onAccept(connection)
    }
}

private func listenerConnectionCallback(_ server: UnsafeMutablePointer<uv_stream_t>?, _ status: Int32) {
    guard let server, let listener = UVHandle.owner(of: server, as: TCPListener.self) else { return }
    listener.acceptOne(status: status)
}
