/// The slowest a client may send a request body (a guard against slow-body attacks such as R.U.D.Y., which hold a
/// connection open by trickling a large declared body a byte at a time), like Kestrel's `MinRequestBodyDataRate`.
///
/// The rate is an average over the whole body so far, checked only once the grace period has passed: a client may
/// pause as long as its average stays above ``bytesPerSecond``. A request whose body falls below it is answered
/// `408 Request Timeout` and its connection closes. Time in which the server does not read (reading paused because
/// the client does not read the answers, or an `Expect: 100-continue` request whose `100 Continue` is not sent yet)
/// does not count. Endpoints that accept slow streaming uploads turn the check off for their path
/// (``LitEndpoint/enforcesMinimumBodyDataRate``).
public struct BodyDataRate: Sendable, Hashable {
    /// The lowest average rate accepted, in bytes per second. Must be positive.
    public var bytesPerSecond: Int
    /// How long a body may take before its average rate is first checked. Must not be negative.
    public var grace: Duration

    /// Creates a minimum rate.
    /// - Parameters:
    ///   - bytesPerSecond: The lowest average rate accepted, in bytes per second (default 240, as Kestrel's).
    ///   - grace: How long a body may take before its rate is first checked (default 5 s, as Kestrel's).
    public init(bytesPerSecond: Int = 240, grace: Duration = .seconds(5)) {
        self.bytesPerSecond = bytesPerSecond
        self.grace = grace
    }
}

/// The body clock of the request a connection is reading: when its body started, how many bytes it had received
/// then, and when its average rate is to be checked next. A value in the connection's state; nothing is done per
/// read (the connection already counts the bytes it reads), only at the connection's timer.
struct BodyRateClock {
    /// The settings in the units the check uses.
    struct Limit {
        let bytesPerSecond: UInt64
        let graceNanoseconds: UInt64

        init(_ rate: BodyDataRate) {
            bytesPerSecond = UInt64(max(1, rate.bytesPerSecond))
            graceNanoseconds = rate.grace.nanoseconds
        }
    }

    /// The answer to a body that is too slow.
    static let response = HTTPResponse.error(HTTPStatus(408), "Request body too slow", close: true)

    /// The next check (monotonic nanoseconds); `.max` while no body is timed.
    private(set) var nextCheck: UInt64 = .max
    /// When the body's clock started (monotonic nanoseconds).
    private var startedAt: UInt64 = 0
    /// The connection's stream offset of the body's first byte.
    private var startOffset: UInt64 = 0
    /// The body waits for `100 Continue` to be sent: its clock starts then.
    private var awaitingContinue = false
    /// The rate the body is held to; nil while no body is timed.
    private var limit: Limit?

    /// A request head was parsed: times its body, if it has one and the check applies.
    /// - Parameters:
    ///   - offset: The connection's stream offset of the body's first byte.
    ///   - now: Monotonic nanoseconds.
    ///   - limit: The minimum rate, nil when it does not apply (off, no body, or an exempt endpoint).
    ///   - awaitsContinue: The client waits for `100 Continue` before it sends the body.
    mutating func start(offset: UInt64, now: UInt64, limit: Limit?, awaitsContinue: Bool) {
        startOffset = offset
        startedAt = now
        awaitingContinue = false
        self.limit = limit
        guard let limit else {
            nextCheck = .max
            return
        }
        if awaitsContinue {
            awaitingContinue = true
            nextCheck = .max
        } else {
            nextCheck = now &+ limit.graceNanoseconds
        }
    }

    /// `100 Continue` went out: a body that waited for it starts its clock now.
    mutating func continueSent(now: UInt64) {
        guard awaitingContinue, let limit else { return }
        awaitingContinue = false
        startedAt = now
        nextCheck = now &+ limit.graceNanoseconds
    }

    /// At the connection's timer: whether the body's average rate fell below the limit. When it did not, the next
    /// check is set to the moment it would, if no further byte came (at least a second later, so that a client
    /// sending just above the rate cannot make the timer fire more often).
    /// - Parameter received: The connection's stream offset after every byte received so far, including what the
    ///   kernel holds and the server has not read yet (a busy loop must not count against the client).
    mutating func isTooSlow(now: UInt64, received: UInt64) -> Bool {
        guard let limit, now >= nextCheck else { return false }
        let bytes = received &- startOffset
        let elapsed = now &- startedAt
        // Double arithmetic: exact enough at these magnitudes, and no overflow for any configured rate.
        let required = Double(limit.bytesPerSecond) * Double(elapsed) / 1e9
        if Double(bytes) < required { return true }
        let dueAt = startedAt &+ UInt64(Double(bytes) * 1e9 / Double(limit.bytesPerSecond))
        nextCheck = max(dueAt, now &+ 1_000_000_000, startedAt &+ limit.graceNanoseconds)
        return false
    }
}
