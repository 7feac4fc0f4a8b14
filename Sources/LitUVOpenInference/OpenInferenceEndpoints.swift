import LitUV

/// The Open Inference Protocol's server-wide answers and names.
public enum OpenInference {
    /// The `name` of `GET /v2` (server metadata).
    public static let serverName = "lituv"
    /// The `version` of `GET /v2` (the protocol version LitUV implements).
    public static let serverVersion = "2"
    /// The prefix of every protocol path: LitUV's own errors there are worded `{"error": "..."}`.
    public static let pathPrefix = "/v2"

    /// `GET /v2`: `{"name":"lituv","version":"2","extensions":["binary_tensor_data"]}`.
    static var serverMetadata: [UInt8] {
        var json = JSONBytes()
        json.raw(#"{"name":"#)
        json.string(serverName)
        json.raw(#","version":"#)
        json.string(serverVersion)
        json.raw(#","extensions":["binary_tensor_data"]}"#)
        return json.bytes
    }

    /// `GET /v2/models/{name}`: name, versions, platform, inputs and outputs.
    static func modelMetadata<Model: LitInferenceModel>(_ model: Model, name: String, version: String?) -> [UInt8] {
        var json = JSONBytes(capacity: 256)
        json.raw(#"{"name":"#)
        json.string(name)
        if let version {
            json.raw(#","versions":["#)
            json.string(version)
            json.raw("]")
        }
        json.raw(#","platform":"#)
        json.string(model.platform)
        json.raw(#","inputs":"#)
        tensors(model.inputs, into: &json)
        json.raw(#","outputs":"#)
        tensors(model.outputs, into: &json)
        json.raw("}")
        return json.bytes
    }

    private static func tensors(_ list: [TensorMetadata], into json: inout JSONBytes) {
        json.raw("[")
        for (index, tensor) in list.enumerated() {
            if index > 0 { json.raw(",") }
            json.raw(#"{"name":"#)
            json.string(tensor.name)
            json.raw(#","datatype":"#)
            json.string(tensor.datatype.rawValue)
            json.raw(#","shape":["#)
            for (position, dimension) in tensor.shape.enumerated() {
                if position > 0 { json.raw(",") }
                json.int(dimension)
            }
            json.raw("]}")
        }
        json.raw("]")
    }

    /// `{"name":…,"ready":…}` (`GET /v2/models/{name}/ready`).
    static func modelReady(_ name: String, _ ready: Bool) -> [UInt8] {
        var json = JSONBytes()
        json.raw(#"{"name":"#)
        json.string(name)
        json.raw(ready ? #","ready":true}"# : #","ready":false}"#)
        return json.bytes
    }

    /// The message of the 404 for a protocol path no route serves: an unknown model (a model route whose model is
    /// not served: every served model has its metadata, ready and infer routes), or an unknown route.
    static func notFoundMessage(_ path: String) -> String {
        let models = "/v2/models/"
        guard path.hasPrefix(models) else { return "Not Found: \(path)" }
        let parts = path.dropFirst(models.count).split(separator: "/", omittingEmptySubsequences: false)
        guard let name = parts.first, !name.isEmpty,
            parts.count == 1 || (parts.count == 2 && ["infer", "ready"].contains(parts[1]))
        else { return "Not Found: \(path)" }
        return "Request for unknown model: '\(name)' is not found"
    }

    /// LitUV's own errors on protocol paths (404, 405, 401, 503, 504, `HTTPError`s) as `{"error": "..."}`.
    static let errorShape = ErrorBodyShape(
        pathPrefix: pathPrefix,
        body: { _, message, _ in InferenceError.body(message) },
        notFoundMessage: notFoundMessage
    )
}

extension LitEndpoint {
    /// Serves a tensor model with the Open Inference Protocol (KServe v2 REST, as Triton, MLServer and KServe
    /// speak it): `POST /v2/models/{name}/infer`, `GET /v2/models/{name}` (metadata), `GET /v2/models/{name}/ready`,
    /// and the server routes `GET /v2`, `/v2/health/live`, `/v2/health/ready`.
    ///
    /// Requests are checked against the model's declared inputs and outputs; invalid ones are answered 400
    /// `{"error":"..."}`, an unknown model 404, and every other error LitUV answers on a `/v2` path is worded the
    /// same way. Tensor data may come as JSON (flat or nested arrays) or as binary data after the JSON (the binary
    /// tensor data extension, which `tritonclient` uses by default); outputs are always answered as JSON `data`,
    /// which every client reads. With `maxBatchSize` > 1, requests a worker takes together share
    /// ``LitInferenceModel/predict(batch:)`` calls where their shapes allow (see ``LitInferenceModel``).
    ///
    /// Readiness (`/v2/health/ready`, `/v2/models/{name}/ready`) is the server's: 200 once every endpoint's workers
    /// finished `setup` and report healthy, 400 (the protocol's "4xx means false") before that and from the moment
    /// a shutdown begins. Liveness answers 200 while the process serves, draining included.
    /// - Parameters:
    ///   - model: The model; each worker gets its own copy before `setup`.
    ///   - name: The model name in the paths (letters, digits, `-`, `_`, `.`: clients percent-encode others).
    ///   - version: The version listed in the metadata and answers, or nil for none. Versioned paths
    ///     (`/v2/models/{name}/versions/{v}/…`) are not served.
    ///   - maxBatchSize: Requests per batch, at most.
    ///   - batchTimeout: The batch window, from the first request's arrival.
    ///   - workersPerDevice: Predict workers per device.
    ///   - devices: Devices (CPU indices) to spread workers over.
    /// - Returns: The endpoint, for `LitServer/init(endpoints:configuration:)`.
    public static func openInference<Model: LitInferenceModel>(
        _ model: Model,
        name: String,
        version: String? = nil,
        maxBatchSize: Int = 1,
        batchTimeout: Duration = .zero,
        workersPerDevice: Int = 1,
        devices: Int = 1
    ) -> LitEndpoint {
        let modelPath = "/v2/models/\(name)"
        let reader = InferenceRequestReader(modelName: name, inputs: model.inputs, outputs: model.outputs)
        var endpoint = LitEndpoint(
            streaming: InferenceStreamingAdapter(model: model),
            codec: InferenceCodec<Model>(reader: reader, version: version),
            path: modelPath + "/infer",
            maxBatchSize: maxBatchSize,
            batchTimeout: batchTimeout,
            workersPerDevice: workersPerDevice,
            devices: devices
        )
        endpoint.name = String(describing: Model.self)
        endpoint.isStreaming = false
        endpoint.errorShape = OpenInference.errorShape
        endpoint.staticRoutes = [
            StaticRoute(path: "/v2", body: OpenInference.serverMetadata),
            StaticRoute(path: "/v2/health/live", kind: .liveness, body: Array(#"{"live":true}"#.utf8)),
            StaticRoute(
                path: "/v2/health/ready",
                kind: .readiness(notReadyStatus: 400, notReadyBody: Array(#"{"ready":false}"#.utf8)),
                body: Array(#"{"ready":true}"#.utf8)
            ),
            StaticRoute(path: modelPath, body: OpenInference.modelMetadata(model, name: name, version: version)),
            StaticRoute(
                path: modelPath + "/ready",
                kind: .readiness(notReadyStatus: 400, notReadyBody: OpenInference.modelReady(name, false)),
                body: OpenInference.modelReady(name, true)
            ),
        ]
        return endpoint
    }
}
