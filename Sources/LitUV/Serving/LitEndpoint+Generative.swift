extension LitEndpoint {
    /// Serves a generative `api` with continuous batching on `path`: each output is sent at once as one NDJSON line,
    /// as for a ``LitStreamingAPI``, but requests join and leave the running batch at every step
    /// (``LitGenerativeAPI``). One step thread serves the endpoint; `maxBatchSize` (shown in `/info`) is the API's
    /// ``LitGenerativeAPI/maxActive``.
    /// - Parameters:
    ///   - api: The API; the step thread gets its own copy before `setup`.
    ///   - path: The `POST` route. Must start with `/`.
    public init<API: LitGenerativeAPI>(generative api: API, path: String = "/predict") {
        self.init(generative: api, codec: NDJSONCodec<GenerativeStreams<API>>(), path: path)
    }

    /// Serves a generative API with continuous batching and a given framing (a spec's, e.g. OpenAI chat SSE): the
    /// extension point `LitUVOpenAI` builds its continuous endpoints on.
    /// - Parameters:
    ///   - api: The API; the step thread gets its own copy before `setup`.
    ///   - codec: Decodes requests and frames the outputs.
    ///   - path: The `POST` route. Must start with `/`.
    package init<API: LitGenerativeAPI, Codec: StreamingCodec>(generative api: API, codec: Codec, path: String)
    where Codec.API == GenerativeStreams<API> {
        self.path = path
        self.maxBatchSize = max(api.maxActive, 0)
        self.batchTimeout = .zero
        self.workersPerDevice = 1
        self.devices = 1
        self.name = String(describing: API.self)
        self.isStreaming = true
        self.needsRequestHeaders = API.needsRequestHeaders
        self.authorize = { context in try api.authorize(context) }
        self.makeRuntime = { context in
            .pooled(ContinuousBatchEngine(prototype: api, codec: codec, context: context))
        }
    }
}
