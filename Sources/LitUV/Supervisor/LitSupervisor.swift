import CUV
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Runs N copies of this server process on one port and keeps them running: crash isolation the way nginx's master
/// or LitServe's worker processes give it (docs/ARCHITECTURE.md, "Several processes").
///
/// The supervisor re-executes the current executable (`/proc/self/exe`, with `posix_spawn`; a multithreaded Swift
/// process is never forked) with the same arguments and an environment naming the child's index, so the child runs
/// the same `main` and serves: ``unlessSupervised(_:)`` returns nil there. Every child has its own listeners with
/// SO_REUSEPORT on the same port; the kernel spreads connections over them.
///
/// ```swift
/// if let supervisor = try LitSupervisor.unlessSupervised(.init(processes: 4, host: host, port: port)) {
///     exit(try supervisor.run())  // the parent never serves
/// }
/// // A supervised child (or a single process): serve as usual. With port 0, LitServer listens on the port the
/// // supervisor reserved.
/// try LitServer(MyAPI()).run(host: host, port: port)
/// ```
///
/// What it does:
/// - A child that dies (a signal, or a non-zero exit) is started again after a back-off (100 ms, doubling up to 5 s,
///   back to 100 ms after a child lived a minute); each death is logged with its signal or status. The supervisor
///   gives up (stops everything and exits 1) only when a child fails to start ``Configuration/maxFailedStarts``
///   times in a row, that is, exits before its server listened (a taken port, a bad setup); crashes of a serving
///   child are restarted forever.
/// - SIGTERM and SIGINT are forwarded to every child, which drains as a single server does (drain delay included);
///   a second SIGINT is forwarded too (children then stop at once).
/// - A `POST /shutdown` accepted by any child stops them all: that child tells the supervisor, which sends SIGTERM to
///   the others. A child that exits 0 on its own (its application called `shutdown()`) does the same.
/// - The port is reserved by the supervisor while it runs (a bound socket that never listens) and free once the last
///   child has closed its listener. ``run(onReady:)`` returns after every child was reaped: 0 after a clean
///   shutdown, 1 when it gave up.
public final class LitSupervisor {
    /// How many processes, on which address, and the restart policy.
    public struct Configuration: Sendable {
        /// The number of server processes (at least 1).
        public var processes: Int
        /// The address the children listen on (to reserve the port).
        public var host: String
        /// The port (0: the supervisor picks a free one and every child listens on it).
        public var port: Int
        /// The first restart delay after a death.
        public var initialRestartDelay: Duration = .milliseconds(100)
        /// The longest restart delay (the delay doubles with each death in a row).
        public var maxRestartDelay: Duration = .seconds(5)
        /// A child that lived this long before dying restarts after ``initialRestartDelay`` again.
        public var healthyUptime: Duration = .seconds(60)
        /// The supervisor gives up after this many children in a row exited before their server listened.
        public var maxFailedStarts = 5
        /// The supervisor's log (deaths, restarts, the shutdown).
        public var logger = Logger(label: "lituv.supervisor")
        /// Share the port with processes already listening on it (a hot restart of a whole group, like
        /// `LitServer.Configuration.reusePort`) instead of refusing a port in use.
        public var reusePort = false

        /// Creates a configuration with the default restart policy.
        /// - Parameters:
        ///   - processes: The number of server processes (at least 1).
        ///   - host: The address the children listen on.
        ///   - port: The port; 0 picks one for all.
        public init(processes: Int, host: String = "127.0.0.1", port: Int) {
            self.processes = processes
            self.host = host
            self.port = port
        }
    }

    /// This process's index when a supervisor started it, else nil.
    public static var supervisedIndex: Int? { SupervisedProcess.current?.index }

    /// A supervisor for this process, or nil when this process is one of a supervisor's children (then it should
    /// serve).
    /// - Parameters:
    ///   - configuration: The processes, the address and the restart policy.
    ///   - arguments: The children's argv (`argv[0]` included); by default this process's.
    /// - Returns: The supervisor to ``run(onReady:)``, or nil in a supervised child.
    /// - Throws: ``LitSupervisorError`` for a configuration out of range.
    public static func unlessSupervised(
        _ configuration: Configuration,
        arguments: [String] = CommandLine.arguments
    ) throws(LitSupervisorError) -> LitSupervisor? {
        if SupervisedProcess.current != nil { return nil }
        return try LitSupervisor(configuration, arguments: arguments)
    }

    let configuration: Configuration
    private let spawner: ChildSpawner
    private var logger: Logger { configuration.logger }
    private var slots: [ChildSlot] = []
    private var reservation: PortReservation?
    private var stopping = false
    private var gaveUp = false
    private var announced = false

    private init(_ configuration: Configuration, arguments: [String]) throws(LitSupervisorError) {
        guard configuration.processes >= 1 else { throw .invalidConfiguration("processes must be at least 1") }
        guard (0...65535).contains(configuration.port) else {
            throw .invalidConfiguration("port \(configuration.port) is out of range 0...65535")
        }
        guard configuration.initialRestartDelay > .zero, configuration.maxRestartDelay >= .zero,
            configuration.maxFailedStarts >= 1
        else {
            throw .invalidConfiguration("restart delays must be positive and maxFailedStarts at least 1")
        }
        guard !arguments.isEmpty else { throw .invalidConfiguration("arguments must include argv[0]") }
        self.configuration = configuration
        spawner = try ChildSpawner(arguments: arguments)
    }

    /// Reserves the port, starts the children and supervises them until they have all stopped. Call it from the main
    /// thread before any other thread exists (SIGCHLD, SIGTERM and SIGINT are blocked and read from a signalfd).
    /// - Parameter onReady: Called once, with the port, when every child's server listens for the first time.
    /// - Returns: The exit status for this process: 0 after a clean shutdown, 1 when the supervisor gave up.
    /// - Throws: ``LitSupervisorError`` when the port cannot be reserved, signals cannot be watched, or the first
    ///   children cannot be spawned.
    public func run(onReady: (Int) -> Void = { _ in }) throws(LitSupervisorError) -> Int32 {
        var watched = sigset_t()
        sigemptyset(&watched)
        for signal in [SIGCHLD, SIGTERM, SIGINT] { sigaddset(&watched, signal) }
        var previous = sigset_t()
        pthread_sigmask(SIG_BLOCK, &watched, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        let signals = CUV_signalfd(&watched)
        guard signals >= 0 else { throw .system("signalfd", errno: -signals) }
        defer { Glibc.close(signals) }

        var reservation = try PortReservation(
            host: configuration.host,
            port: configuration.port,
            probe: !configuration.reusePort
        )
        let port = reservation.port
        self.reservation = reservation
        let backoff = RestartBackoff(
            initial: configuration.initialRestartDelay,
            maximum: configuration.maxRestartDelay,
            healthyUptime: configuration.healthyUptime
        )
        slots = (0..<configuration.processes).map { ChildSlot(index: $0, backoff: backoff) }
        do throws(LitSupervisorError) {
            for index in slots.indices { try start(index, port: port) }
        } catch {
            for slot in slots where slot.pid > 0 { kill(slot.pid, SIGKILL) }
            while slots.contains(where: { $0.pid > 0 }) {
                usleep(10_000)
                reap()
            }
            reservation.release()
            throw error
        }
        logger.info("supervising \(configuration.processes) processes on port \(port)")

        while !(stopping && slots.allSatisfy { $0.pid == 0 }) {
            var descriptors = [pollfd(fd: signals, events: Int16(POLLIN), revents: 0)]
            for slot in slots where slot.channel >= 0 {
                descriptors.append(pollfd(fd: slot.channel, events: Int16(POLLIN), revents: 0))
            }
            _ = poll(&descriptors, nfds_t(descriptors.count), pollTimeout())
            readSignals(signals)
            for index in slots.indices { readChannel(index) }
            reap()
            if !announced && slots.allSatisfy(\.ready) {
                announced = true
                onReady(port)
            }
            startDueChildren(port: port)
        }
        self.reservation?.release()
        logger.info("every process stopped")
        return gaveUp ? 1 : 0
    }

    // MARK: Events

    private func readSignals(_ descriptor: Int32) {
        var signal: Int32 = 0
        var sender: Int32 = 0
        while CUV_read_signal(descriptor, &signal, &sender) == 0 {
            switch signal {
            case SIGTERM, SIGINT:
                logger.info("received signal \(signal): stopping every process")
                stopAll(forwarding: signal, except: nil)
            default:
                break  // SIGCHLD: reaped after the loop
            }
        }
    }

    /// Reaps every child that exited, logs how, and schedules its restart (or the shutdown of all).
    private func reap() {
        while true {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, WNOHANG)
            if pid <= 0 { return }
            guard let index = slots.firstIndex(where: { $0.pid == pid }) else { continue }
            readChannel(index)  // what it said before it exited (its `S` or `R`)
            childExited(index, status: status)
        }
    }

    private func childExited(_ index: Int, status: Int32) {
        let now = ContinuousClock.now
        let uptime = now - slots[index].startedAt
        let pid = slots[index].pid
        let wasReady = slots[index].ready
        slots[index].exited()
        let signal = status & 0x7f
        let exitStatus = (status >> 8) & 0xff
        let how =
            signal != 0
            ? "was killed by signal \(signal) (\(signalName(signal)))" : "exited with status \(exitStatus)"
        if stopping {
            logger.info("process \(index) (pid \(pid)) \(how)")
            return
        }
        if signal == 0 && exitStatus == 0 {
            logger.info("process \(index) (pid \(pid)) stopped by itself (exit 0): stopping every process")
            stopAll(forwarding: SIGTERM, except: nil)
            return
        }
        if !wasReady {
            slots[index].failedStarts += 1
            if slots[index].failedStarts >= configuration.maxFailedStarts {
                logger.error(
                    """
                    process \(index) (pid \(pid)) \(how) before it listened, \(slots[index].failedStarts) times in a \
                    row: giving up
                    """
                )
                gaveUp = true
                stopAll(forwarding: SIGTERM, except: nil)
                return
            }
        }
        let delay = slots[index].backoff.delayAfterDeath(uptime: uptime)
        slots[index].restartAt = now + delay
        logger.error(
            "process \(index) (pid \(pid)) \(how) after \(milliseconds(uptime)); restarting in \(milliseconds(delay))"
        )
    }

    /// Reads what children said: `R` (listening), `S` (a `POST /shutdown` was accepted). EOF closes the channel.
    private func readChannel(_ index: Int) {
        var buffer = [UInt8](repeating: 0, count: 16)
        while slots[index].channel >= 0 {
            let count = recv(slots[index].channel, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if count > 0 {
                for byte in buffer.prefix(count) { message(byte, from: index) }
                continue
            }
            if count == 0 || (errno != EAGAIN && errno != EINTR) { slots[index].closeChannel() }
            if count < 0 && errno == EINTR { continue }
            break
        }
    }

    private func message(_ byte: UInt8, from index: Int) {
        switch byte {
        case UInt8(ascii: "R"):
            slots[index].ready = true
            slots[index].failedStarts = 0
        case UInt8(ascii: "S"):
            if !stopping {
                logger.info("process \(index) accepted POST /shutdown: stopping every process")
                stopAll(forwarding: SIGTERM, except: slots[index].pid)
            }
        default:
            break
        }
    }

    // MARK: Starting and stopping

    private func start(_ index: Int, port: Int) throws(LitSupervisorError) {
        let child = try spawner.spawn(index: index, port: port)
        slots[index].started(pid: child.pid, channel: child.channel)
    }

    private func startDueChildren(port: Int) {
        guard !stopping else { return }
        let now = ContinuousClock.now
        for index in slots.indices {
            guard slots[index].pid == 0, let due = slots[index].restartAt, due <= now else { continue }
            do {
                try start(index, port: port)
                logger.info("process \(index) restarted (pid \(slots[index].pid))")
            } catch {
                let delay = slots[index].backoff.delayAfterDeath(uptime: .zero)
                slots[index].restartAt = now + delay
                logger.error("process \(index) could not be started: \(error); retrying in \(milliseconds(delay))")
            }
        }
    }

    /// Begins the shutdown of all: no restart any more, the port reservation is given up, and `signal` goes to every
    /// child but `except`. A second SIGINT is forwarded again.
    private func stopAll(forwarding signal: Int32, except: pid_t?) {
        if stopping && signal != SIGINT { return }
        stopping = true
        reservation?.release()
        for index in slots.indices {
            slots[index].restartAt = nil
            let pid = slots[index].pid
            if pid > 0 && pid != except { kill(pid, signal) }
        }
    }

    /// Milliseconds until the next restart is due, or -1 (wait for an event).
    private func pollTimeout() -> Int32 {
        guard !stopping, let next = slots.compactMap({ $0.pid == 0 ? $0.restartAt : nil }).min() else { return -1 }
        let left = ContinuousClock.now.duration(to: next)
        if left <= .zero { return 0 }
        let (seconds, attoseconds) = left.components
        return Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
    }
}

/// One of the supervisor's places: the child in it now (pid 0 when none) and its restart state.
private struct ChildSlot {
    let index: Int
    var backoff: RestartBackoff
    var pid: pid_t = 0
    /// The supervisor's end of the socket pair with the current child, or -1.
    var channel: Int32 = -1
    var startedAt = ContinuousClock.now
    /// The current child said its server listens.
    var ready = false
    /// Children in a row that exited before they listened.
    var failedStarts = 0
    /// When the next child is due (set after a death, nil while one runs or once stopping).
    var restartAt: ContinuousClock.Instant?

    init(index: Int, backoff: RestartBackoff) {
        self.index = index
        self.backoff = backoff
    }

    mutating func started(pid: pid_t, channel: Int32) {
        self.pid = pid
        self.channel = channel
        startedAt = ContinuousClock.now
        ready = false
        restartAt = nil
    }

    mutating func exited() {
        pid = 0
        ready = false
        closeChannel()
    }

    mutating func closeChannel() {
        guard channel >= 0 else { return }
        Glibc.close(channel)
        channel = -1
    }
}

/// A duration for the log: whole milliseconds.
private func milliseconds(_ duration: Duration) -> String {
    let (seconds, attoseconds) = duration.components
    return "\(seconds * 1000 + attoseconds / 1_000_000_000_000_000) ms"
}

/// The usual name of a signal number.
private func signalName(_ signal: Int32) -> String {
    switch signal {
    case SIGABRT: "SIGABRT"
    case SIGKILL: "SIGKILL"
    case SIGSEGV: "SIGSEGV"
    case SIGILL: "SIGILL"
    case SIGTRAP: "SIGTRAP"
    case SIGBUS: "SIGBUS"
    case SIGFPE: "SIGFPE"
    case SIGTERM: "SIGTERM"
    case SIGINT: "SIGINT"
    default: "signal \(signal)"
    }
}
