// `LitServer(api)` for APIs with a body kind or custom responses: each calls the matching `LitEndpoint` overload
// (LitEndpoint+Bodies.swift) where the API's types are known, so the worker code is specialised for its kinds.

extension LitServer {
    /// Creates a server for one API with a body kind or custom responses; see the matching ``LitEndpoint`` initialiser.
    /// - Parameters:
    ///   - api: The API; each worker gets its own copy and runs its `setup`.
    ///   - path: The `POST` route. Default `/predict`.
    ///   - maxBatchSize: The most requests per `predict(batch:)`. Default 1.
    ///   - batchTimeout: The batch window from the first request's arrival. Default 0.
    ///   - workersPerDevice: Predict workers per device. Default 1.
    ///   - devices: Devices to spread workers over. Default 1.
    ///   - configuration: Server-wide settings.
    /// - Throws: ``LitServerError`` when an option is invalid.
    @inlinable
    public convenience init<API: LitAPI>(
        _ api: API,
        path: String = "/predict",
        maxBatchSize: Int = 1,
        batchTimeout: Duration = .zero,
        workersPerDevice: Int = 1,
        devices: Int = 1,
        configuration: Configuration = Configuration()
    ) throws(LitServerError) where API.Request: LitRequestBody {
        try self.init(
            endpoints: [
                LitEndpoint(
                    api,
                    path: path,
                    maxBatchSize: maxBatchSize,
                    batchTimeout: batchTimeout,
                    workersPerDevice: workersPerDevice,
                    devices: devices
                )
            ],
            configuration: configuration
        )
    }

    /// Creates a server for one API with a body kind or custom responses; see the matching ``LitEndpoint`` initialiser.
    /// - Parameters:
    ///   - api: The API; each worker gets its own copy and runs its `setup`.
    ///   - path: The `POST` route. Default `/predict`.
    ///   - maxBatchSize: The most requests per `predict(batch:)`. Default 1.
    ///   - batchTimeout: The batch window from the first request's arrival. Default 0.
    ///   - workersPerDevice: Predict workers per device. Default 1.
    ///   - devices: Devices to spread workers over. Default 1.
    ///   - configuration: Server-wide settings.
    /// - Throws: ``LitServerError`` when an option is invalid.
    @inlinable
    public convenience init<API: LitAPI>(
        _ api: API,
        path: String = "/predict",
        maxBatchSize: Int = 1,
        batchTimeout: Duration = .zero,
        workersPerDevice: Int = 1,
        devices: Int = 1,
        configuration: Configuration = Configuration()
    ) throws(LitServerError) where API.Response == LitResponse {
        try self.init(
            endpoints: [
                LitEndpoint(
                    api,
                    path: path,
                    maxBatchSize: maxBatchSize,
                    batchTimeout: batchTimeout,
                    workersPerDevice: workersPerDevice,
                    devices: devices
                )
            ],
            configuration: configuration
        )
    }

    /// Creates a server for one API with a body kind or custom responses; see the matching ``LitEndpoint`` initialiser.
    /// - Parameters:
    ///   - api: The API; each worker gets its own copy and runs its `setup`.
    ///   - path: The `POST` route. Default `/predict`.
    ///   - maxBatchSize: The most requests per `predict(batch:)`. Default 1.
    ///   - batchTimeout: The batch window from the first request's arrival. Default 0.
    ///   - workersPerDevice: Predict workers per device. Default 1.
    ///   - devices: Devices to spread workers over. Default 1.
    ///   - configuration: Server-wide settings.
    /// - Throws: ``LitServerError`` when an option is invalid.
    @inlinable
    public convenience init<API: LitAPI>(
        _ api: API,
        path: String = "/predict",
        maxBatchSize: Int = 1,
        batchTimeout: Duration = .zero,
        workersPerDevice: Int = 1,
        devices: Int = 1,
        configuration: Configuration = Configuration()
    ) throws(LitServerError) where API.Request: LitRequestBody, API.Response == LitResponse {
        try self.init(
            endpoints: [
                LitEndpoint(
                    api,
                    path: path,
                    maxBatchSize: maxBatchSize,
                    batchTimeout: batchTimeout,
                    workersPerDevice: workersPerDevice,
                    devices: devices
                )
            ],
            configuration: configuration
        )
    }
}
