extension LitEndpoint {
    /// The default of ``maxConcurrentPredictions``.
    public static let defaultMaxConcurrentPredictions = 64

    /// Serves an async `api` on `path`: each worker starts one task per batch and keeps up to
    /// `maxConcurrentPredictions` of them in flight (see ``LitAsyncAPI``).
    /// - Parameters:
    ///   - api: The API; each worker gets its own copy before `setup`.
    ///   - path: The `POST` route. Must start with `/`.
    ///   - maxBatchSize: Requests per `predict(batch:)` call, at most.
    ///   - batchTimeout: The batch window, from the first request's arrival.
    ///   - workersPerDevice: Predict workers per device.
    ///   - devices: Devices (CPU indices) to spread workers over.
    ///   - maxConcurrentPredictions: Batches each worker keeps in flight, at most.
    public init<API: LitAsyncAPI>(
        _ api: API,
        path: String = "/predict",
        maxBatchSize: Int = 1,
        batchTimeout: Duration = .zero,
        workersPerDevice: Int = 1,
        devices: Int = 1,
        maxConcurrentPredictions: Int = LitEndpoint.defaultMaxConcurrentPredictions
    ) {
        self.path = path
        self.maxBatchSize = maxBatchSize
        self.batchTimeout = batchTimeout
        self.workersPerDevice = workersPerDevice
        self.devices = devices
        self.maxConcurrentPredictions = maxConcurrentPredictions
        self.name = String(describing: API.self)
        self.needsRequestHeaders = API.needsRequestHeaders
        self.authorize = { context in try api.authorize(context) }
        self.makeRuntime = { context in
            .pooled(
                WorkerPool(
                    engine: AsyncPredictEngine(
                        api: api,
                        errors: ErrorAnswers(name: context.endpoint.name, logger: context.logger),
                        maxConcurrentPredictions: context.endpoint.maxConcurrentPredictions
                    ),
                    context: context
                )
            )
        }
    }

    /// Serves an async streaming `api` on `path` as NDJSON: each worker starts one task per batch and keeps up to
    /// `maxConcurrentPredictions` of them in flight (see ``LitAsyncStreamingAPI``).
    /// - Parameters:
    ///   - api: The API; each worker gets its own copy before `setup`.
    ///   - path: The `POST` route. Must start with `/`.
    ///   - maxBatchSize: Requests per `predict(batch:contexts:emit:)` call, at most.
    ///   - batchTimeout: The batch window, from the first request's arrival.
    ///   - workersPerDevice: Predict workers per device.
    ///   - devices: Devices (CPU indices) to spread workers over.
    ///   - maxConcurrentPredictions: Batches each worker keeps in flight, at most.
    public init<API: LitAsyncStreamingAPI>(
        _ api: API,
        path: String = "/predict",
        maxBatchSize: Int = 1,
        batchTimeout: Duration = .zero,
        workersPerDevice: Int = 1,
        devices: Int = 1,
        maxConcurrentPredictions: Int = LitEndpoint.defaultMaxConcurrentPredictions
    ) {
        self.path = path
        self.maxBatchSize = maxBatchSize
        self.batchTimeout = batchTimeout
        self.workersPerDevice = workersPerDevice
        self.devices = devices
        self.maxConcurrentPredictions = maxConcurrentPredictions
        self.name = String(describing: API.self)
        self.isStreaming = true
        self.needsRequestHeaders = API.needsRequestHeaders
        self.authorize = { context in try api.authorize(context) }
        self.makeRuntime = { context in
            .pooled(
                WorkerPool(
                    engine: AsyncStreamingEngine(
                        api: api,
                        errors: ErrorAnswers(name: context.endpoint.name, logger: context.logger),
                        maxConcurrentPredictions: context.endpoint.maxConcurrentPredictions,
                        maxQueuedBytes: context.endpoint.maxQueuedStreamBytes,
                        stallTimeout: context.endpoint.streamStallTimeoutNanoseconds
                    ),
                    context: context
                )
            )
        }
    }
}
