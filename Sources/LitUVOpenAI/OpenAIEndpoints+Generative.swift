import LitUV

extension LitEndpoint {
    /// Serves a generative chat model with continuous batching and OpenAI's API: `POST /v1/chat/completions`
    /// (server-sent events for `stream: true`, one `chat.completion` otherwise, exactly as
    /// ``openAIChat(_:model:path:modelsPath:maxBatchSize:batchTimeout:workersPerDevice:devices:)``), plus
    /// `GET /v1/models`. Requests join and leave the running batch at every step (`LitGenerativeAPI`).
    /// - Parameters:
    ///   - api: The model; the step thread gets its own copy before `setup`. It emits ``ChatDelta``s.
    ///   - model: The model id listed by `GET /v1/models`.
    ///   - path: The `POST` route.
    ///   - modelsPath: The `GET` route listing the model, or nil for none.
    /// - Returns: The endpoint, for `LitServer/init(endpoints:configuration:)`.
    public static func openAIChat<API: LitGenerativeAPI>(
        generative api: API,
        model: String,
        path: String = "/v1/chat/completions",
        modelsPath: String? = "/v1/models"
    ) -> LitEndpoint where API.Request == ChatCompletionRequest, API.Output == ChatDelta {
        var endpoint = LitEndpoint(
            generative: api,
            codec: ChatCompletionCodec<GenerativeStreams<API>>(),
            path: path
        )
        if let modelsPath {
            endpoint.staticRoutes.append(ModelsList.route(path: modelsPath, model: model))
        }
        return endpoint
    }
}
