import Logging
import Synchronization

/// What the server observes of one request from its head to its answer, for the access log and the callbacks:
/// made at head time only when one of them is on (so an idle pipeline allocates nothing), filled in by the stages
/// the request passes (the worker records its queue wait), and told when the answer is written.
final class RequestRecord: ResponseObserver, @unchecked Sendable {
    // Invariant for @unchecked Sendable: the `let`s are set at head time on the loop; `queueWaitNanoseconds` is
    // atomic (a worker writes it); `observation` is written at admission and read when the answer is written, both
    // on the request's loop; `onWritten` runs on the loop that wrote the answer.

    let method: String
    let path: String
    let requestID: String?
    let peerAddress: String?
    /// Monotonic nanoseconds when the request head was complete.
    let startedAt: UInt64
    /// Nanoseconds between the request's admission and the start of its prediction (0 when not queued).
    let queueWaitNanoseconds = Atomic<UInt64>(0)
    /// What the callbacks and the tracer keep about the request, set at its admission to an API (nil otherwise).
    var observation: (any AnyObject & Sendable)?
    private let onWritten: @Sendable (RequestRecord, _ status: Int, _ bodyBytes: Int) -> Void

    init(
        method: String,
        path: String,
        requestID: String?,
        peerAddress: String?,
        startedAt: UInt64,
        onWritten: @escaping @Sendable (RequestRecord, Int, Int) -> Void
    ) {
        self.method = method
        self.path = path
        self.requestID = requestID
        self.peerAddress = peerAddress
        self.startedAt = startedAt
        self.onWritten = onWritten
    }

    func responseWritten(status: Int, bodyBytes: Int) {
        onWritten(self, status, bodyBytes)
    }
}

/// The access log: one structured swift-log line per answered request (off by default), at `info` level:
/// message `"request"` with metadata `request_id`, `method`, `path`, `status`, `bytes`, `latency_ms` (head complete
/// to answer written) and `queue_ms` (waiting for a worker). Keys and headers are never logged.
struct AccessLog: Sendable {
    let logger: Logger

    func write(_ record: RequestRecord, status: Int, bodyBytes: Int, now: UInt64) {
        var metadata: Logger.Metadata = [
            "method": .string(record.method),
            "path": .string(record.path),
            "status": .stringConvertible(status),
            "bytes": .stringConvertible(bodyBytes),
            "latency_ms": .string(Self.milliseconds(now &- record.startedAt)),
            "queue_ms": .string(Self.milliseconds(record.queueWaitNanoseconds.load(ordering: .relaxed))),
        ]
        if let id = record.requestID { metadata["request_id"] = .string(id) }
        if let peer = record.peerAddress { metadata["peer"] = .string(peer) }
        logger.info("request", metadata: metadata)
    }

    /// Milliseconds with three decimals (microsecond resolution).
    static func milliseconds(_ nanoseconds: UInt64) -> String {
        let micros = nanoseconds / 1000
        let fraction = String(micros % 1000)
        return "\(micros / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
