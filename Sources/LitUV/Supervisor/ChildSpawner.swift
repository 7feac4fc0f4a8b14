import CUV

#if canImport(Glibc)
import Glibc
#endif

/// Starts the supervisor's children: the current executable again (never `fork()` of a multithreaded process), with
/// the same arguments and an environment that tells it its place (``SupervisedProcess``). This file holds the
/// supervisor's C work: `posix_spawn`, the socket pair of each child, and the port reservation.
struct ChildSpawner {
    /// The executable (`/proc/self/exe` resolved when the supervisor was made).
    let executable: String
    /// argv, `argv[0]` included.
    let arguments: [String]
    /// The parent's environment without the supervisor's variables.
    let environment: [String]

    /// The descriptor a child finds its end of the socket pair at.
    static let channelDescriptor: Int32 = 3

    init(arguments: [String]) throws(LitSupervisorError) {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { throw .system("readlink /proc/self/exe", errno: errno) }
        executable = String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        self.arguments = arguments
        let ours = [
            SupervisedProcess.indexVariable, SupervisedProcess.portVariable, SupervisedProcess.channelVariable,
            SupervisedProcess.supervisorVariable, SupervisedProcess.shutdownKeyVariable,
        ].map { $0 + "=" }
        var inherited: [String] = []
        var entry = environ
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if !ours.contains(where: { text.hasPrefix($0) }) { inherited.append(text) }
            entry += 1
        }
        // A shutdown key for every child (a child generating its own would make `POST /shutdown` depend on which
        // process answered); 256 bits from the system's secure generator.
        var generator = SystemRandomNumberGenerator()
        let key = (0..<4).map { _ in
            let text = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - text.count) + text
        }.joined()
        environment = inherited + ["\(SupervisedProcess.shutdownKeyVariable)=\(key)"]
    }

    /// A started child: its pid and the supervisor's end of its socket pair (non-blocking, close-on-exec).
    struct Child {
        let pid: pid_t
        let channel: Int32
    }

    /// Starts child `index`, listening on `port`. Its signal mask is cleared, SIGINT/SIGTERM/SIGCHLD/SIGPIPE are back
    /// to their defaults, and it gets a process group of its own (so a terminal's Ctrl-C reaches only the supervisor,
    /// which forwards it once).
    func spawn(index: Int, port: Int) throws(LitSupervisorError) -> Child {
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            throw .system("socketpair", errno: errno)
        }
        let parentEnd = pair[0]
        // dup2 onto the same number would keep close-on-exec: move the child's end off descriptor 3 first.
        var childEnd = pair[1]
        if childEnd == Self.channelDescriptor {
            childEnd = dup(pair[1])
            Glibc.close(pair[1])
        }
        defer { Glibc.close(childEnd) }
        _ = fcntl(parentEnd, F_SETFL, O_NONBLOCK)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, childEnd, Self.channelDescriptor)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGCHLD, SIGHUP, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes,
            Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP)
        )

        let environment =
            self.environment + [
                "\(SupervisedProcess.indexVariable)=\(index)",
                "\(SupervisedProcess.portVariable)=\(port)",
                "\(SupervisedProcess.channelVariable)=\(Self.channelDescriptor)",
                "\(SupervisedProcess.supervisorVariable)=\(getpid())",
            ]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        var envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, &attributes, &argv, &envp)
        guard status == 0 else {
            Glibc.close(parentEnd)
            throw .system("posix_spawn \(executable)", errno: status)
        }
        return Child(pid: pid, channel: parentEnd)
    }
}

/// The supervisor's hold on the port: a socket bound with SO_REUSEPORT that never listens (so the kernel gives it no
/// connection), which learns the port when 0 was asked for and keeps it reserved while children restart. Closed
/// when the shutdown begins; the port is free once the last child closed its listener.
struct PortReservation {
    private(set) var descriptor: Int32
    /// The reserved port.
    let port: Int

    /// - Parameter probe: Refuse a port another socket listens on (a plain bind first, as a single server does).
    init(host: String, port requested: Int, probe: Bool) throws(LitSupervisorError) {
        var address: SocketAddress
        do {
            address = try SocketAddress(host: host, port: requested)
        } catch {
            throw .invalidConfiguration(error.message)
        }
        do {
            if probe { try address.probeAvailable() }
        } catch {
            throw LitSupervisorError(code: .portUnavailable, message: "cannot listen on \(address): \(error)")
        }
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .system("socket", errno: errno) }
        let reuse = CUV_set_reuseport(fd)
        let bound = address.withSockAddr { pointer, length in bind(fd, pointer, length) }
        guard reuse == 0, bound == 0 else {
            let code = reuse != 0 ? -reuse : errno
            Glibc.close(fd)
            throw LitSupervisorError(code: .portUnavailable, message: "cannot bind \(address): \(describe(code))")
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else {
            let code = errno
            Glibc.close(fd)
            throw .system("getsockname", errno: code)
        }
        let networkPort: UInt16 =
            Int32(storage.ss_family) == AF_INET6
            ? withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_port }
            }
            : withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_port }
            }
        descriptor = fd
        port = Int(UInt16(bigEndian: networkPort))
    }

    /// Gives the port up (idempotent).
    mutating func release() {
        guard descriptor >= 0 else { return }
        Glibc.close(descriptor)
        descriptor = -1
    }
}

/// `strerror` as a Swift string.
func describe(_ code: Int32) -> String { String(cString: strerror(code)) }
