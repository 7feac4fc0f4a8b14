/// Hooks into a server's life and into every stage of its requests (LitServe's `Callback`): server start and stop,
/// a request received, before and after `decodeRequest`, `predict` and `encodeResponse`, and the answer sent.
///
/// Register callbacks in ``LitServer/Configuration/callbacks``. Every method has a default that does nothing, so a
/// callback implements only the events it wants. Methods may throw: the error is logged (with the request id) and
/// never fails the request or the server.
///
/// Callbacks run on the server's threads, in the order they were registered: the server events on the thread that
/// starts or stops the server, ``requestReceived(_:)`` and ``responseSent(_:)`` on the I/O loop that read the
/// request, the stage events on the predict worker (on the I/O loop for endpoints that run inline). Several threads
/// call them at once, so a callback must be thread-safe, and quick: a loop serves every connection of its thread.
///
/// The order for one request: ``requestReceived(_:)``, ``willDecodeRequest(_:)``, ``didDecodeRequest(_:_:)``,
/// ``willPredict(_:batchSize:)``, ``didPredict(_:_:)``, ``willEncodeResponse(_:)``, ``didEncodeResponse(_:_:)``,
/// ``responseSent(_:)``. A stage that throws still gets its "did" event (with the error), and the stages after it
/// are skipped. A batch calls the predict events once per request, with the batch size. A streaming API calls the
/// encode events once per emitted output, inside its predict. Requests answered without reaching an API (`/health`,
/// a `404`, a refused API key) get ``responseSent(_:)`` only; a request whose client left before its answer was
/// written gets no ``responseSent(_:)``.
///
/// With no callback registered (and no tracer bootstrapped) the server does none of this work: nothing is allocated
/// or timed per request.
///
/// ```swift
/// /// Logs how long each stage of each request took.
/// struct StageLatency: LitCallback {
///     let logger: Logger
///     func didDecodeRequest(_ request: RequestContext, _ stage: LitStageTiming) {
///         logger.info("decode", metadata: ["ms": "\(stage.duration)", "id": "\(request.requestID ?? "-")"])
///     }
///     func didPredict(_ request: RequestContext, _ stage: LitStageTiming) {
///         logger.info("predict", metadata: ["ms": "\(stage.duration)", "batch": "\(stage.batchSize)"])
///     }
///     func responseSent(_ response: LitResponseEvent) {
///         logger.info("total", metadata: ["latency": "\(response.latency)", "queue": "\(response.queueWait)"])
///     }
/// }
/// ```
public protocol LitCallback: Sendable {
    /// The server is listening and its workers are starting (`setup` may still be running).
    func serverDidStart(_ server: LitServerEvent) throws
    /// A graceful shutdown began; requests in flight are still answered.
    func serverWillStop(_ server: LitServerEvent) throws
    /// The server stopped: every answer written, workers joined, loops closed.
    func serverDidStop(_ server: LitServerEvent) throws
    /// A request's body is complete and it was admitted to an API (on the I/O loop).
    func requestReceived(_ request: RequestContext) throws
    /// `decodeRequest` (with the JSON decoding of the body) is about to run.
    func willDecodeRequest(_ request: RequestContext) throws
    /// `decodeRequest` returned or threw.
    func didDecodeRequest(_ request: RequestContext, _ stage: LitStageTiming) throws
    /// `predict` is about to run on a batch of `batchSize` requests, this one among them.
    func willPredict(_ request: RequestContext, batchSize: Int) throws
    /// `predict` returned or threw; the duration is the whole batch's.
    func didPredict(_ request: RequestContext, _ stage: LitStageTiming) throws
    /// `encodeResponse` (with the JSON encoding of the answer) is about to run.
    func willEncodeResponse(_ request: RequestContext) throws
    /// `encodeResponse` returned or threw.
    func didEncodeResponse(_ request: RequestContext, _ stage: LitStageTiming) throws
    /// A request's answer was written to its connection (on the I/O loop).
    func responseSent(_ response: LitResponseEvent) throws
}

extension LitCallback {
    /// Does nothing.
    public func serverDidStart(_ server: LitServerEvent) throws {}
    /// Does nothing.
    public func serverWillStop(_ server: LitServerEvent) throws {}
    /// Does nothing.
    public func serverDidStop(_ server: LitServerEvent) throws {}
    /// Does nothing.
    public func requestReceived(_ request: RequestContext) throws {}
    /// Does nothing.
    public func willDecodeRequest(_ request: RequestContext) throws {}
    /// Does nothing.
    public func didDecodeRequest(_ request: RequestContext, _ stage: LitStageTiming) throws {}
    /// Does nothing.
    public func willPredict(_ request: RequestContext, batchSize: Int) throws {}
    /// Does nothing.
    public func didPredict(_ request: RequestContext, _ stage: LitStageTiming) throws {}
    /// Does nothing.
    public func willEncodeResponse(_ request: RequestContext) throws {}
    /// Does nothing.
    public func didEncodeResponse(_ request: RequestContext, _ stage: LitStageTiming) throws {}
    /// Does nothing.
    public func responseSent(_ response: LitResponseEvent) throws {}
}

/// A server's start or stop, for ``LitCallback``.
public struct LitServerEvent: Sendable {
    /// The address the server listens on (the first listener's).
    public var host: String
    /// The bound port of every listener, in order (the real ones when port 0 was asked for).
    public var ports: [Int]
}

/// How one stage of one request went, for the "did" events of ``LitCallback``.
public struct LitStageTiming: Sendable {
    /// How long the stage took (for `predict`, the whole batch's call), measured on a monotonic clock. Callbacks'
    /// own time is not included.
    public var duration: Duration
    /// The number of requests in the `predict` call (1 for decode and encode, and outside batches).
    public var batchSize: Int
    /// What the stage threw, or nil when it succeeded.
    public var error: (any Error)?
}

/// A request's answer as written, for ``LitCallback/responseSent(_:)``.
public struct LitResponseEvent: Sendable {
    /// The request method.
    public var method: String
    /// The request path.
    public var path: String
    /// The request's id, when request ids are on (``LitServer/Configuration/requestIDs``).
    public var requestID: String?
    /// The status sent (200 for a stream, even one that failed after it started).
    public var status: Int
    /// The bytes of the body as sent (after compression; for a stream, the bytes of its chunks).
    public var bodyBytes: Int
    /// From the request head's arrival to the answer in the connection's output.
    public var latency: Duration
    /// How long the request waited for a predict worker (zero when it did not queue).
    public var queueWait: Duration
    /// The request's context when it reached an API; nil for answers given without one (probes, refusals, `404`).
    public var request: RequestContext?
}
