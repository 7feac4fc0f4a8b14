import Logging

/// One API served on one path, with its own batching and workers (LitServe's per-API options).
///
/// ```swift
/// let server = try LitServer(endpoints: [
///     LitEndpoint(Square(), path: "/predict", maxBatchSize: 8, batchTimeout: .milliseconds(5)),
///     LitEndpoint(Embedder(), path: "/embed", workersPerDevice: 2),
/// ])
/// ```
public struct LitEndpoint: Sendable {
    /// The route the API answers on (`POST`). Default `/predict`.
    public var path: String
    /// The most requests given to one `predict(batch:)` call. Must be > 0. Default 1 (no batching).
    public var maxBatchSize: Int
    /// How long a batch may wait for more requests after its first one arrived. Default 0 (take what is queued).
    public var batchTimeout: Duration
    /// Predict workers per device; each has its own copy of the API and its own `setup`. Default 1.
    public var workersPerDevice: Int
    /// The number of devices; workers = devices × workersPerDevice. Default 1.
    public var devices: Int
    /// A name for logs, `/info` and `/metrics` (the API's type name by default).
    public var name: String
    /// Whether answers stream (shown in `/info`).
    public package(set) var isStreaming: Bool = false
    /// For a streaming API: bytes a stream may have queued for a slow reader before `emit` waits. Default 1 MiB.
    public var maxQueuedStreamBytes: Int = 1 << 20
    /// For a streaming API: how long `emit` waits for a client that does not read before the stream fails.
    public var streamStallTimeout: Duration = .seconds(30)
    /// Runs `decodeRequest`, `predict(_:)` and `encodeResponse` on the I/O loop that read the request, with no hand-off
    /// to a predict worker and back. Default false.
    ///
    /// For models that answer in microseconds (a lookup, a small formula), where the two thread hops of the worker
    /// path cost more than the model: each I/O loop gets its own copy of the API, set up on the loop's thread
    /// before the server starts listening (a failing `setup` makes `start()` throw). Requests are answered one at a
    /// time as they are read (`maxBatchSize` must be 1, and the endpoint must not stream); `workersPerDevice` is not
    /// used. A slow model blocks every connection of its loop, so keep the worker path for anything that takes
    /// longer than a few microseconds.
    public var runsInline: Bool = false
    /// Whether request bodies on this path are held to the server's minimum body data rate
    /// (``LitServer/Configuration/minimumBodyDataRate``). Default true.
    ///
    /// Set it to false for an endpoint whose clients legitimately send slower than that rate, such as a streaming
    /// upload (a microphone, a sensor feed): their bodies are then only subject to the idle timeout between reads
    /// (``LitServer/Configuration/keepAliveTimeout``) and the size limit.
    public var enforcesMinimumBodyDataRate: Bool = true
    /// For an async API (``LitAsyncAPI``, ``LitAsyncStreamingAPI``): the most predictions each worker keeps in flight
    /// (a batch counts once). Further requests wait in the endpoint's queue. Must be at least 1. Default 64.
    /// Ignored by the synchronous APIs, whose workers run one batch at a time.
    public var maxConcurrentPredictions: Int = LitEndpoint.defaultMaxConcurrentPredictions
    /// Limits on `multipart/form-data` and `application/x-www-form-urlencoded` bodies, for an API whose `Request` is
    /// `MultipartForm` or `URLEncodedForm` (``LitRequestBody``): over one, the request is answered `413` with the
    /// limit named. The whole body is also bounded by the server's `limits.maxPayloadSize`. Default ``FormLimits``'s.
    public var formLimits = FormLimits()
    /// Whether the API asked for request headers in its `RequestContext` (always, for a body kind).
    let needsRequestHeaders: Bool
    /// The API's request body kind, when it is not JSON (``LitRequestBody``).
    var requestBody: RequestBodyKind? = nil
    /// The API answers ``LitResponse`` values (not JSON).
    var answersCustomResponses = false
    /// The API's ``LitAPI/authorize(_:)``, run on the I/O loop at head time.
    let authorize: @Sendable (RequestContext) throws -> Void
    /// Extra `GET` routes answered with fixed JSON (e.g. a spec's model list).
    package var staticRoutes: [StaticRoute] = []
    /// A spec's wording of LitUV's own error answers on its paths (the first endpoint's shape for a prefix wins).
    package var errorShape: ErrorBodyShape?
    let makeRuntime: @Sendable (EndpointContext) -> ServedEndpoint.Kind

    /// Serves `api` on `path`.
    /// - Parameters:
    ///   - api: The API; each worker gets its own copy before `setup`.
    ///   - path: The `POST` route. Must start with `/`.
    ///   - maxBatchSize: Requests per `predict(batch:)` call, at most.
    ///   - batchTimeout: The batch window, from the first request's arrival.
    ///   - workersPerDevice: Predict workers per device.
    ///   - devices: Devices (CPU indices) to spread workers over.
    ///   - runsInline: Answer on the I/O loops instead of worker threads (see ``runsInline``).
    @inlinable
    public init<API: LitAPI>(
        _ api: API,
        path: String = "/predict",
        maxBatchSize: Int = 1,
        batchTimeout: Duration = .zero,
        workersPerDevice: Int = 1,
        devices: Int = 1,
        runsInline: Bool = false
    ) {
        // The closure is created here, in the caller's module, where `API` is a concrete type: the worker's
        // per-batch code (`PredictBatch.run`) is specialised for it. A body kind or a custom response seen here means
        // the caller is generic code that the more specific overloads (LitEndpoint+Bodies.swift) could not match:
        // the kinds are then found out per request.
        if API.Request.self is any LitRequestBody.Type || API.Response.self == LitResponse.self {
            self.init(
                api,
                path: path,
                maxBatchSize: maxBatchSize,
                batchTimeout: batchTimeout,
                workersPerDevice: workersPerDevice,
                devices: devices,
                runsInline: runsInline,
                runBatch: { batch, api, errors, body in
                    PredictBatch.run(
                        batch,
                        on: api,
                        errors: errors,
                        body: body,
                        requests: DynamicRequests<API.Request>.self,
                        responses: DynamicResponses<API.Response>.self
                    )
                }
            )
            return
        }
        self.init(
            api,
            path: path,
            maxBatchSize: maxBatchSize,
            batchTimeout: batchTimeout,
            workersPerDevice: workersPerDevice,
            devices: devices,
            runsInline: runsInline,
            runBatch: { batch, api, errors, body in
                PredictBatch.run(
                    batch,
                    on: api,
                    errors: errors,
                    body: body,
                    requests: JSONRequests<API.Request>.self,
                    responses: JSONResponses<API.Response>.self
                )
            }
        )
    }

    /// The non-inlinable part of the public initialiser.
    @usableFromInline
    init<API: LitAPI>(
        _ api: API,
        path: String,
        maxBatchSize: Int,
        batchTimeout: Duration,
        workersPerDevice: Int,
        devices: Int,
        runsInline: Bool,
        runBatch: @escaping @Sendable ([Job], API, ErrorAnswers, RequestBodyContext) -> Void
    ) {
        self.path = path
        self.runsInline = runsInline
        self.maxBatchSize = maxBatchSize
        self.batchTimeout = batchTimeout
        self.workersPerDevice = workersPerDevice
        self.devices = devices
        self.name = String(describing: API.self)
        self.requestBody = RequestBodyKind(API.Request.self)
        self.answersCustomResponses = API.Response.self == LitResponse.self
        // A body kind's Content-Type and packed header fields are captured apart (RequestCapture), without this.
        self.needsRequestHeaders = API.needsRequestHeaders
        self.authorize = { context in try api.authorize(context) }
        self.makeRuntime = { context in
            if context.endpoint.runsInline {
                return .inline(InlineRuntime(prototype: api, context: context))
            }
            return .pooled(
                WorkerPool(
                    engine: PredictEngine(
                        prototype: api,
                        errors: ErrorAnswers(name: context.endpoint.name, logger: context.logger),
                        body: RequestBodyContext(path: context.endpoint.path, formLimits: context.endpoint.formLimits),
                        runBatch: runBatch
                    ),
                    context: context
                )
            )
        }
    }

    /// Serves a streaming `api` on `path`: each emitted output is sent at once as one NDJSON line.
    /// - Parameters:
    ///   - api: The API; each worker gets its own copy before `setup`.
    ///   - path: The `POST` route. Must start with `/`.
    ///   - maxBatchSize: Requests per `predict(batch:emit:)` call, at most.
    ///   - batchTimeout: The batch window, from the first request's arrival.
    ///   - workersPerDevice: Predict workers per device.
    ///   - devices: Devices (CPU indices) to spread workers over.
    public init<API: LitStreamingAPI>(
        _ api: API,
        path: String = "/predict",
        maxBatchSize: Int = 1,
        batchTimeout: Duration = .zero,
        workersPerDevice: Int = 1,
        devices: Int = 1
    ) {
        self.init(
            streaming: api,
            codec: NDJSONCodec<API>(),
            path: path,
            maxBatchSize: maxBatchSize,
            batchTimeout: batchTimeout,
            workersPerDevice: workersPerDevice,
            devices: devices
        )
    }

    /// Serves a streaming API with a given framing (NDJSON, or a spec's): the extension point a spec such as
    /// `LitUVOpenAI` builds its endpoints on. The endpoint is listed as streaming in `/info`.
    /// - Parameters:
    ///   - api: The API; each worker gets its own copy before `setup`.
    ///   - codec: Decodes requests and frames the outputs.
    ///   - path: The `POST` route. Must start with `/`.
    ///   - maxBatchSize: Requests per `predict(batch:emit:)` call, at most.
    ///   - batchTimeout: The batch window, from the first request's arrival.
    ///   - workersPerDevice: Predict workers per device.
    ///   - devices: Devices (CPU indices) to spread workers over.
    public init<Codec: StreamingCodec>(
        streaming api: Codec.API,
        codec: Codec,
        path: String,
        maxBatchSize: Int = 1,
        batchTimeout: Duration = .zero,
        workersPerDevice: Int = 1,
        devices: Int = 1
    ) {
        self.path = path
        self.maxBatchSize = maxBatchSize
        self.batchTimeout = batchTimeout
        self.workersPerDevice = workersPerDevice
        self.devices = devices
        self.name = String(describing: Codec.API.self)
        self.isStreaming = true
        self.requestBody = RequestBodyKind(Codec.API.Request.self)
        self.needsRequestHeaders = Codec.API.needsRequestHeaders
        self.authorize = { context in try api.authorize(context) }
        self.makeRuntime = { context in
            .pooled(
                WorkerPool(
                    engine: StreamingEngine(
                        prototype: api,
                        codec: codec,
                        errors: ErrorAnswers(name: context.endpoint.name, logger: context.logger),
                        maxQueuedBytes: context.endpoint.maxQueuedStreamBytes,
                        stallTimeout: context.endpoint.streamStallTimeoutNanoseconds
                    ),
                    context: context
                )
            )
        }
    }

    /// The number of predict workers: devices × workersPerDevice.
    public var workerCount: Int { devices * workersPerDevice }
}
