/// Settings and state shared by the connections of one loop. Loop thread only.
final class HTTPLoopState {
    // Loop thread only, and never accessed twice at once: release builds skip the dynamic exclusivity check (as for
    // `HTTPServerConnection.live`).
    #if DEBUG
    var date = DateCache()
    #else
    @exclusivity(unchecked) var date = DateCache()
    #endif
    let limits: HTTPLimits
    /// Nanoseconds a request head may take to arrive (slowloris guard).
    let headerTimeout: UInt64
    /// Nanoseconds an idle keep-alive connection (or a stalled body) is kept.
    let idleTimeout: UInt64
    /// Pipelined requests waiting for answers before the connection stops reading.
    let maxPipelined: Int
    /// Bytes waiting to be sent before the connection stops reading.
    let maxQueuedOutput: Int
    /// Nanoseconds a connection that had received nothing when the drain began may take to send its first byte (its
    /// client connected before the drain, so its first request is served); then it is closed. One second: a proxy
    /// writes its request right after `connect`, while an idle pre-connection does not hold the drain for long.
    let firstRequestGraceAtDrain: UInt64 = 1_000_000_000
    /// The minimum body data rate (``BodyDataRate``); nil when the check is off.
    let bodyRateLimit: BodyRateClock.Limit?
    /// By route target (``HTTPRoute/collectBody(target:headers:)``): true for the endpoints that turned the body rate
    /// check off (streaming uploads).
    let bodyRateExemptTargets: [Bool]
    /// Some endpoint turned the body rate check off: only then does a request's route decide whether it applies.
    let hasBodyRateExemptions: Bool

    init(
        limits: HTTPLimits,
        headerTimeout: UInt64,
        idleTimeout: UInt64,
        maxPipelined: Int = 64,
        maxQueuedOutput: Int = 1 << 20,
        minimumBodyDataRate: BodyDataRate? = nil,
        bodyRateExemptTargets: [Bool] = []
    ) {
        self.bodyRateLimit = minimumBodyDataRate.map(BodyRateClock.Limit.init)
        self.bodyRateExemptTargets = bodyRateExemptTargets
        self.hasBodyRateExemptions = bodyRateExemptTargets.contains(true)
        self.limits = limits
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.maxPipelined = maxPipelined
        self.maxQueuedOutput = maxQueuedOutput
    }

    /// The minimum body data rate for a request routed to `route` (nil: the check does not apply to it).
    func bodyRateLimit(for route: HTTPRoute) -> BodyRateClock.Limit? {
        guard let limit = bodyRateLimit else { return nil }
        if case .collectBody(let target, _) = route, target < bodyRateExemptTargets.count,
            bodyRateExemptTargets[target]
        {
            return nil
        }
        return limit
    }
}
