/// Serves a ``LitAPI``: decode each body, `predict(batch:)`, encode each output.
struct PredictEngine<API: LitAPI>: BatchEngine {
    let prototype: API
    let errors: ErrorAnswers
    /// What body kinds are told when they are built.
    let body: RequestBodyContext
    /// ``PredictBatch/run(_:on:errors:)``, specialised for `API` where the endpoint was created.
    let runBatch: @Sendable ([Job], API, ErrorAnswers, RequestBodyContext) -> Void

    func setup(_ api: inout API, device: Device) throws { try api.setup(device: device) }
    func isHealthy(_ api: API) -> Bool { api.health() }
    func teardown(_ api: inout API) { api.teardown() }

    var defersLoopWakeups: Bool { true }
    var streamsOutput: Bool { false }

    func run(_ batch: [Job], on api: API) {
        runBatch(batch, api, errors, body)
    }
}
