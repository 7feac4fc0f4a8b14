import LitUV

/// A chat model served with OpenAI's chat completions API: a `LitStreamingAPI` whose requests are
/// ``ChatCompletionRequest``s and whose outputs are ``ChatDelta``s.
///
/// ```swift
/// struct Echo: ChatCompletionAPI {
///     func predict(_ request: ChatCompletionRequest, emit: (ChatDelta) throws -> Void) throws {
///         for word in request.messages.last!.text.split(separator: " ") {
///             try emit(.text(word + " "))
///         }
///     }
/// }
/// let server = try LitServer(endpoints: [.openAIChat(Echo(), model: "echo")])
/// ```
///
/// Override `decodeRequest(_:context:)` to turn the request into your own input (and to read its headers, with
/// `needsRequestHeaders`); throw ``OpenAIError`` or `HTTPError` there to refuse a request in OpenAI's error shape.
public protocol ChatCompletionAPI: LitStreamingAPI
where Request == ChatCompletionRequest, Output == ChatDelta, Response == ChatDelta {}

extension LitEndpoint {
    /// Serves a chat model with OpenAI's API (LitServe's `spec=OpenAISpec()`): `POST /v1/chat/completions`,
    /// streamed as server-sent events when the request says `stream: true` and answered as one
    /// `chat.completion` otherwise, plus `GET /v1/models`.
    ///
    /// Invalid requests are answered 400 with `{"error":{"message":…,"type":"invalid_request_error",
    /// "param":…,"code":null}}`; errors thrown by your hooks are answered in the same shape (``OpenAIError`` as it
    /// is, `HTTPError` with its status and detail as the message).
    /// - Parameters:
    ///   - api: The model; each worker gets its own copy before `setup`. It emits ``ChatDelta``s.
    ///   - model: The model id listed by `GET /v1/models`.
    ///   - path: The `POST` route.
    ///   - modelsPath: The `GET` route listing the model, or nil for none.
    ///   - maxBatchSize: Requests per `predict(batch:emit:)` call, at most.
    ///   - batchTimeout: The batch window, from the first request's arrival.
    ///   - workersPerDevice: Predict workers per device.
    ///   - devices: Devices (CPU indices) to spread workers over.
    /// - Returns: The endpoint, for `LitServer/init(endpoints:configuration:)`.
    public static func openAIChat<API: LitStreamingAPI>(
        _ api: API,
        model: String,
        path: String = "/v1/chat/completions",
        modelsPath: String? = "/v1/models",
        maxBatchSize: Int = 1,
        batchTimeout: Duration = .zero,
        workersPerDevice: Int = 1,
        devices: Int = 1
    ) -> LitEndpoint where API.Request == ChatCompletionRequest, API.Output == ChatDelta {
        var endpoint = LitEndpoint(
            streaming: api,
            codec: ChatCompletionCodec<API>(),
            path: path,
            maxBatchSize: maxBatchSize,
            batchTimeout: batchTimeout,
            workersPerDevice: workersPerDevice,
            devices: devices
        )
        if let modelsPath {
            endpoint.staticRoutes.append(ModelsList.route(path: modelsPath, model: model))
        }
        return endpoint
    }

    /// Serves an embedding model with OpenAI's API (LitServe's `spec=OpenAIEmbeddingSpec()`):
    /// `POST /v1/embeddings` answers `{"object":"list","data":[{"object":"embedding","index":0,"embedding":[…]}],
    /// "model":…,"usage":{"prompt_tokens":…,"total_tokens":…}}`, plus `GET /v1/models`.
    ///
    /// With `maxBatchSize` > 1 the texts of several requests reach ``EmbeddingAPI/embed(_:dimensions:)`` in one call.
    /// - Parameters:
    ///   - api: The model; each worker gets its own copy before `setup`.
    ///   - model: The model id listed by `GET /v1/models`.
    ///   - path: The `POST` route.
    ///   - modelsPath: The `GET` route listing the model, or nil for none.
    ///   - maxBatchSize: Requests per batch, at most.
    ///   - batchTimeout: The batch window, from the first request's arrival.
    ///   - workersPerDevice: Predict workers per device.
    ///   - devices: Devices (CPU indices) to spread workers over.
    /// - Returns: The endpoint, for `LitServer/init(endpoints:configuration:)`.
    public static func openAIEmbeddings<API: EmbeddingAPI>(
        _ api: API,
        model: String,
        path: String = "/v1/embeddings",
        modelsPath: String? = "/v1/models",
        maxBatchSize: Int = 1,
        batchTimeout: Duration = .zero,
        workersPerDevice: Int = 1,
        devices: Int = 1
    ) -> LitEndpoint {
        var endpoint = LitEndpoint(
            streaming: EmbeddingStreamingAdapter(model: api),
            codec: EmbeddingsCodec<API>(),
            path: path,
            maxBatchSize: maxBatchSize,
            batchTimeout: batchTimeout,
            workersPerDevice: workersPerDevice,
            devices: devices
        )
        endpoint.name = String(describing: API.self)
        endpoint.isStreaming = false
        if let modelsPath {
            endpoint.staticRoutes.append(ModelsList.route(path: modelsPath, model: model))
        }
        return endpoint
    }
}
