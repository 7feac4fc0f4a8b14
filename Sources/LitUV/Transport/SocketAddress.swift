import CUV

#if canImport(Glibc)
import Glibc
#endif

/// A resolved IPv4 or IPv6 socket address for a listener.
struct SocketAddress: Sendable, CustomStringConvertible {
    // `sockaddr_storage` is plain data; it is copied, never shared.
    nonisolated(unsafe) private(set) var storage = sockaddr_storage()
    let host: String
    let port: Int

    /// Resolves a numeric host (`127.0.0.1`, `::1`, `0.0.0.0`), `localhost`, or a name through getaddrinfo.
    /// - Throws: ``SocketAddressError`` naming the host when it cannot be resolved or the port is out of range.
    init(host: String, port: Int) throws(SocketAddressError) {
        guard (0...65535).contains(port) else {
            throw SocketAddressError(message: "port \(port) is out of range 0...65535")
        }
        self.host = host
        self.port = port
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &result)
        guard status == 0, let first = result, let address = first.pointee.ai_addr else {
            let reason = status == 0 ? "no address" : String(cString: gai_strerror(status))
            throw SocketAddressError(message: "cannot resolve host \"\(host)\": \(reason)")
        }
        defer { freeaddrinfo(result) }
        withUnsafeMutableBytes(of: &storage) { destination in
            destination.copyMemory(
                from: UnsafeRawBufferPointer(start: address, count: Int(first.pointee.ai_addrlen))
            )
        }
    }

    /// The address family (AF_INET or AF_INET6).
    var family: Int32 { Int32(storage.ss_family) }

    /// Calls `body` with the address as a `sockaddr` pointer.
    func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        withUnsafeBytes(of: storage) { raw in
            let length = family == AF_INET6 ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size
            return body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(length))
        }
    }

    /// `host:port`, with brackets around IPv6 hosts.
    var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Checks that no other socket listens on this address, by binding a plain socket (SO_REUSEADDR only).
    ///
    /// Listeners use SO_REUSEPORT, which would let a second server of the same user silently share the port; this
    /// probe makes "address already in use" an error again. A socket never listened on leaves no TIME_WAIT behind.
    /// - Throws: ``UVError`` (`EADDRINUSE`, `EACCES`, ...) from the probe's bind.
    func probeAvailable() throws(UVError) {
        guard port != 0 else { return }
        let fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw UVError(code: -errno, operation: "socket") }
        defer { Glibc.close(fd) }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let status = withSockAddr { address, length in bind(fd, address, length) }
        if status != 0 {
            throw UVError(code: -errno, operation: "bind \(self)")
        }
    }
}

/// A listener address that cannot be used: a port out of range or a host that does not resolve.
struct SocketAddressError: Error, Sendable, CustomStringConvertible {
    /// What is wrong, naming the host or port.
    let message: String
    var description: String { message }
}
