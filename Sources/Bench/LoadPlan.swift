// What the load threads are given and what they hand back: plans, results, error counts, the request template, the
// resolved address, and the progress of an idle-connections run. Plain Swift; the libuv side is LoadGenerator.swift.

import Histogram
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// What one load thread does. Immutable; built by the main thread.
struct WorkerPlan: @unchecked Sendable {
    // @unchecked Sendable: every member is a value or an immutable, thread-safe object (`RequestTemplate`,
    // `TLSClientContext`, `IdleProgress` are documented as such).
    enum Mode {
        /// Closed loop: every connection keeps `pipeline` requests in flight.
        case closedLoop
        /// Open loop: `rate` requests per second for this thread, each measured from its intended send time.
        case openLoop(rate: Double)
        /// Open the connections, answer one request on each, hold them idle until `holdUntil`, close.
        case idle(hold: UInt64, progress: IdleProgress)
    }

    var index: Int
    var address: ResolvedAddress
    var request: RequestTemplate
    var connections: Int
    var pipeline: Int
    var mode: Mode
    /// uv_hrtime() nanoseconds: when the loops started, when measuring starts (after warm-up), when it ends.
    var startTime: UInt64
    var measureStart: UInt64
    var measureEnd: UInt64
    /// A request unanswered this long is counted as a timeout and its connection is closed (nanoseconds).
    var timeout: UInt64
    var tls: TLSClientContext?
    /// The most connects in progress at once per thread (a connect storm overflows the server's backlog).
    var maxPendingConnects: Int
    /// Open loop: send what is due once a millisecond (a timer) instead of polling without blocking, which keeps a
    /// core busy; each request is still measured from its intended send time.
    var coarsePacing = false
}

/// Errors by kind, as wrk reports them (plus the ones only this tool distinguishes).
struct ErrorCounts: Sendable {
    var connect = 0
    var read = 0
    var write = 0
    var timeout = 0
    var parse = 0
    var tls = 0
    /// Requests in flight when the server closed the connection (EOF, or `Connection: close`).
    var closed = 0
    /// Open loop: requests dropped because the backlog of unsent requests overflowed.
    var dropped = 0

    var total: Int { connect + read + write + timeout + parse + tls + closed + dropped }

    mutating func add(_ other: ErrorCounts) {
        connect += other.connect
        read += other.read
        write += other.write
        timeout += other.timeout
        parse += other.parse
        tls += other.tls
        closed += other.closed
        dropped += other.dropped
    }

    var byKind: [(String, Int)] {
        [
            ("connect", connect), ("read", read), ("write", write), ("timeout", timeout), ("parse", parse),
            ("tls", tls), ("closed", closed), ("dropped", dropped),
        ]
    }
}

/// What one load thread measured (inside the measurement window only).
struct WorkerResult: Sendable {
    var latency = Histogram<UInt64>(
        lowestDiscernibleValue: 1,
        highestTrackableValue: 3_600_000_000_000,
        numberOfSignificantValueDigits: .three
    )
    var completed = 0
    var bytesRead = 0
    /// Responses by status class: [1xx, 2xx, 3xx, 4xx, 5xx, other].
    var statusClasses = [Int](repeating: 0, count: 6)
    var errors = ErrorCounts()
    var connectsSucceeded = 0
    var reconnects = 0
    var tlsHandshakes = 0
    /// The highest backlog of unsent requests seen (open loop).
    var maxBacklog = 0
    /// Connections open and answered when the hold began (idle mode).
    var idleOpen = 0
    /// What `uv_loop_close` returned (0 when every handle was closed).
    var loopCloseStatus: Int32 = 0

    mutating func merge(_ other: WorkerResult) {
        latency.add(other.latency)
        completed += other.completed
        bytesRead += other.bytesRead
        for i in statusClasses.indices { statusClasses[i] += other.statusClasses[i] }
        errors.add(other.errors)
        connectsSucceeded += other.connectsSucceeded
        reconnects += other.reconnects
        tlsHandshakes += other.tlsHandshakes
        maxBacklog = max(maxBacklog, other.maxBacklog)
        idleOpen += other.idleOpen
        if loopCloseStatus == 0 { loopCloseStatus = other.loopCloseStatus }
    }
}

/// Shared between the threads of an idle run: how many connections are open and answered.
final class IdleProgress: Sendable {
    private let ready = Atomic<Int>(0)
    private let settled = Atomic<Int>(0)
    let total: Int

    init(total: Int) { self.total = total }

    /// One connection finished its setup (`ok`: answered; else it failed). Announces when all have.
    func connectionSettled(ok: Bool, hold: UInt64) {
        if ok { ready.add(1, ordering: .relaxed) }
        let done = settled.add(1, ordering: .acquiringAndReleasing).newValue
        if done == total {
            let open = ready.load(ordering: .relaxed)
            Terminal.err(
                "lituv-bench: idle: \(open)/\(total) connections open and answered; holding \(hold / 1_000_000_000) s\n"
            )
        }
    }
}

/// The bytes of the request, repeated `pipeline` times back to back so that k requests go out in one write.
final class RequestTemplate: @unchecked Sendable {
    // @unchecked Sendable: the buffer is written in init and only read afterwards; freed in deinit.
    let length: Int
    let copies: Int
    /// The request is a HEAD request (its responses have no body).
    let isHead: Bool
    private let storage: UnsafeMutableRawBufferPointer

    init(_ bytes: [UInt8], copies: Int, isHead: Bool) {
        self.isHead = isHead
        length = bytes.count
        self.copies = copies
        storage = .allocate(byteCount: max(1, bytes.count * copies), alignment: 16)
        for copy in 0..<copies {
            bytes.withUnsafeBytes { source in
                UnsafeMutableRawBufferPointer(rebasing: storage[(copy * length)..<((copy + 1) * length)])
                    .copyMemory(from: source)
            }
        }
    }

    deinit { storage.deallocate() }

    /// The first `count` requests (count ≤ copies).
    func requests(_ count: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: storage[0..<(count * length)])
    }
}
