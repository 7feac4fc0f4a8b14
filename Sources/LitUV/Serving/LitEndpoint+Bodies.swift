// The initialisers that pick an endpoint's request and response kinds when it is created (docs/ARCHITECTURE.md,
// "Request and response bodies"). Swift chooses the most constrained overload that matches the API's types at compile
// time, so each endpoint's worker code is specialised for its kinds and a JSON endpoint runs the code it always ran.
// Keep the four in step with ``LitEndpoint/init(_:path:maxBatchSize:batchTimeout:workersPerDevice:devices:runsInline:)``.

extension LitEndpoint {
    /// Serves an API whose `Request` is a body kind (``RawBody``, a form; ``LitRequestBody``) and whose `Response` is
    /// JSON.
    /// - Parameters:
    ///   - api: The API; each worker gets its own copy before `setup`.
    ///   - path: The `POST` route. Must start with `/`.
    ///   - maxBatchSize: Requests per `predict(batch:)` call, at most.
    ///   - batchTimeout: The batch window, from the first request's arrival.
    ///   - workersPerDevice: Predict workers per device.
    ///   - devices: Devices (CPU indices) to spread workers over.
    ///   - runsInline: Must be false: body kinds and custom responses are served by predict workers.
    @inlinable
    public init<API: LitAPI>(
        _ api: API,
        path: String = "/predict",
        maxBatchSize: Int = 1,
        batchTimeout: Duration = .zero,
        workersPerDevice: Int = 1,
        devices: Int = 1,
        runsInline: Bool = false
    ) where API.Request: LitRequestBody {
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
                    requests: BodyRequests<API.Request>.self,
                    responses: JSONResponses<API.Response>.self
                )
            }
        )
    }

    /// Serves an API that takes JSON and answers ``LitResponse`` values (any status, header fields and body bytes).
    /// - Parameters:
    ///   - api: The API; each worker gets its own copy before `setup`.
    ///   - path: The `POST` route. Must start with `/`.
    ///   - maxBatchSize: Requests per `predict(batch:)` call, at most.
    ///   - batchTimeout: The batch window, from the first request's arrival.
    ///   - workersPerDevice: Predict workers per device.
    ///   - devices: Devices (CPU indices) to spread workers over.
    ///   - runsInline: Must be false: body kinds and custom responses are served by predict workers.
    @inlinable
    public init<API: LitAPI>(
        _ api: API,
        path: String = "/predict",
        maxBatchSize: Int = 1,
        batchTimeout: Duration = .zero,
        workersPerDevice: Int = 1,
        devices: Int = 1,
        runsInline: Bool = false
    ) where API.Response == LitResponse {
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
                    responses: CustomResponses.self
                )
            }
        )
    }

    /// Serves an API whose `Request` is a body kind (``LitRequestBody``) and that answers ``LitResponse`` values.
    /// - Parameters:
    ///   - api: The API; each worker gets its own copy before `setup`.
    ///   - path: The `POST` route. Must start with `/`.
    ///   - maxBatchSize: Requests per `predict(batch:)` call, at most.
    ///   - batchTimeout: The batch window, from the first request's arrival.
    ///   - workersPerDevice: Predict workers per device.
    ///   - devices: Devices (CPU indices) to spread workers over.
    ///   - runsInline: Must be false: body kinds and custom responses are served by predict workers.
    @inlinable
    public init<API: LitAPI>(
        _ api: API,
        path: String = "/predict",
        maxBatchSize: Int = 1,
        batchTimeout: Duration = .zero,
        workersPerDevice: Int = 1,
        devices: Int = 1,
        runsInline: Bool = false
    ) where API.Request: LitRequestBody, API.Response == LitResponse {
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
                    requests: BodyRequests<API.Request>.self,
                    responses: CustomResponses.self
                )
            }
        )
    }
}
