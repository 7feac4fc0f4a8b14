/// Settings and state shared by the connections of one loop. Loop thread only.
final class HTTPLoopState {
    // Loop thread only, and never accessed twice at once: release builds skip the dynamic exclusivity check (as for
    // the connection's state below).
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

    init(
        limits: HTTPLimits,
        headerTimeout: UInt64,
        idleTimeout: UInt64,
        maxPipelined: Int = 64,
        maxQueuedOutput: Int = 1 << 20
    ) {
        self.limits = limits
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.maxPipelined = maxPipelined
        self.maxQueuedOutput = maxQueuedOutput
    }
}
