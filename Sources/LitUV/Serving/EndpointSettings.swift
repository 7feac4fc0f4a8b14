import Logging

/// The plain settings of an endpoint (no API value), validated.
struct LitEndpointSettings: Sendable {
    let path: String
    let name: String
    let isStreaming: Bool
    let runsInline: Bool
    let needsRequestHeaders: Bool
    let maxQueuedStreamBytes: Int
    let streamStallTimeoutNanoseconds: UInt64
    let maxBatchSize: Int
    let batchTimeoutNanoseconds: UInt64
    let workersPerDevice: Int
    let devices: Int
    /// Bodies on this path are held to the server's minimum body data rate.
    var enforcesMinimumBodyDataRate = true
    /// The API's request body kind when it is not JSON: its `Content-Type` is checked at head time.
    var requestBody: RequestBodyKind? = nil
    /// Limits on form bodies (``LitEndpoint/formLimits``).
    var formLimits = FormLimits()
    var workerCount: Int { devices * workersPerDevice }
}

/// What an endpoint's runtime (its worker pool or its inline copies) needs from the server.
struct EndpointContext: Sendable {
    let endpoint: LitEndpointSettings
    let queueCapacity: Int
    /// The number of I/O loops (one inline copy of the API each).
    let loopCount: Int
    let logger: Logger
    let statistics: EndpointStatistics
}
