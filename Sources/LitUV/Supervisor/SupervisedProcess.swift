import CUV

#if canImport(Glibc)
import Glibc
#endif

/// What a process started by a ``LitSupervisor`` knows about its place: read once from the environment the
/// supervisor set (docs/ARCHITECTURE.md, "Several processes"). A process not started by a supervisor has none.
///
/// The supervisor gives each child one end of a Unix socket pair; the child writes one byte on it when its server
/// listens (`R`) and when a `POST /shutdown` was accepted (`S`, so the supervisor stops every other child at the same
/// moment). Writes never raise SIGPIPE (`MSG_NOSIGNAL`) and a supervisor that is gone is ignored.
package struct SupervisedProcess: Sendable {
    /// The environment variable holding the child's index (0..<processes).
    package static let indexVariable = "LITUV_SUPERVISED_INDEX"
    /// The environment variable holding the port every child listens on (the one the supervisor chose for port 0).
    package static let portVariable = "LITUV_SUPERVISED_PORT"
    /// The environment variable holding the descriptor of the child's end of its socket pair.
    package static let channelVariable = "LITUV_SUPERVISOR_FD"
    /// The environment variable holding the supervisor's pid.
    package static let supervisorVariable = "LITUV_SUPERVISOR_PID"
    /// The environment variable holding the shutdown key the supervisor generated for all its children (used when
    /// neither the configuration nor `LIT_SHUTDOWN_API_KEY` names one).
    package static let shutdownKeyVariable = "LITUV_SUPERVISED_SHUTDOWN_KEY"

    /// The child's index among the supervisor's processes.
    package let index: Int
    /// The port the supervisor reserved for every child.
    package let port: Int
    /// The child's end of its socket pair with the supervisor, or -1.
    let channel: Int32
    /// The supervisor's pid.
    package let supervisorPID: pid_t
    /// The shutdown key the supervisor generated for every child.
    package let shutdownKey: String?

    /// This process's place under a supervisor, or nil when no supervisor started it. Read once; the first read also
    /// asks the kernel for SIGTERM when the supervisor dies (so a killed supervisor leaves no serving orphan).
    package static let current: SupervisedProcess? = {
        guard let index = environmentInteger(indexVariable), index >= 0,
            let port = environmentInteger(portVariable), (1...65535).contains(port),
            let supervisor = environmentInteger(supervisorVariable), supervisor > 1
        else { return nil }
        let channel = environmentInteger(channelVariable).map { Int32(truncatingIfNeeded: $0) } ?? -1
        let process = SupervisedProcess(
            index: index,
            port: port,
            channel: channel,
            supervisorPID: pid_t(truncatingIfNeeded: supervisor),
            shutdownKey: getenv(shutdownKeyVariable).map { String(cString: $0) }
        )
        _ = CUV_set_parent_death_signal(SIGTERM)
        // The supervisor may have died before the request above: then no signal will come.
        if getppid() != process.supervisorPID { _ = kill(getpid(), SIGTERM) }
        return process
    }()

    /// Tells the supervisor this process's server listens.
    package func announceReady() { send(UInt8(ascii: "R")) }

    /// Tells the supervisor a `POST /shutdown` was accepted here: it stops the other children at once.
    package func announceShutdownRequested() { send(UInt8(ascii: "S")) }

    private func send(_ byte: UInt8) {
        guard channel >= 0 else { return }
        var value = byte
        _ = Glibc.send(channel, &value, 1, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
    }

    private static func environmentInteger(_ name: String) -> Int? {
        guard let value = getenv(name) else { return nil }
        return Int(String(cString: value))
    }
}
