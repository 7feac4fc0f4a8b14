/// A model whose hooks are `async`: the form of ``LitAPI`` for models that await (a vector store, a remote model, a
/// runtime with its own queue) instead of blocking a thread. LitServe's `enable_async`.
///
/// Served with ``LitEndpoint/init(_:path:maxBatchSize:batchTimeout:workersPerDevice:devices:maxConcurrentPredictions:)-(LitAsyncAPI,_,_,_,_,_,_)``
/// like any API. Each predict worker still owns its own copy (set up once on its thread) and still collects batches
/// (`maxBatchSize`, `batchTimeout`) from the endpoint's queue, but instead of running the batch itself it starts a
/// `Task` for it and collects the next one while that task awaits: one worker keeps up to
/// `maxConcurrentPredictions` batches in flight.
///
/// ```swift
/// struct Lookup: LitAsyncAPI {
///     struct Request: Decodable, Sendable { var query: String }
///     struct Response: Encodable { var answer: String }
///     let store: VectorStoreClient
///     func decodeRequest(_ request: Request) -> String { request.query }
///     func predict(_ query: String) async throws -> String { try await store.nearest(to: query) }
///     func encodeResponse(_ answer: String) -> Response { Response(answer: answer) }
/// }
/// ```
///
/// **Where the code runs.** Each worker has an executor thread of its own (a `TaskExecutor`) that its tasks, their
/// child tasks and their resumptions run on; never an I/O loop thread, nor the worker thread, nor Swift's global
/// concurrent executor (so a process whose other tasks block that executor does not stall predictions). A hook
/// that blocks holds up the other tasks of its worker: a model that computes or sleeps synchronously belongs in
/// ``LitAPI``.
///
/// **Cancellation.** When the client leaves before its answer, or the request's deadline passes (answered `504` as
/// on the synchronous path), the task of its batch is cancelled (for a batch, once every one of its requests is
/// gone): `Task.isCancelled`, `Task.checkCancellation()` and `withTaskCancellationHandler` see it, and
/// `Task.sleep` throws. Whatever the task returns afterwards is dropped.
///
/// Errors map as for ``LitAPI``: ``HTTPError`` keeps its status and detail, anything else is logged and answered
/// `500 {"detail":"Internal server error"}`.
public protocol LitAsyncAPI: Sendable {
    /// The JSON body of a request.
    associatedtype Request: Decodable
    /// What ``predict(_:)`` takes.
    associatedtype Input
    /// What ``predict(_:)`` returns.
    associatedtype Output
    /// The JSON body of a response.
    associatedtype Response: Encodable

    /// True when the hooks need the request headers and the client's address in their ``RequestContext``.
    /// Default false.
    static var needsRequestHeaders: Bool { get }

    /// Decides whether a request may be served, from its head alone, on the I/O loop (exactly as
    /// ``LitAPI/authorize(_:)``: synchronous, fast, non-blocking). The default accepts every request.
    func authorize(_ context: RequestContext) throws

    /// Prepares this worker's copy (open clients, load weights). Called once per worker before it serves; the
    /// worker waits for it.
    /// - Parameter device: The device this worker serves on.
    /// - Throws: Any error: the server fails to start and `run()` rethrows it.
    mutating func setup(device: Device) async throws

    /// Turns a decoded request body into a model input.
    func decodeRequest(_ request: Request) async throws -> Input

    /// Turns a decoded request body into a model input, knowing its request's context. The default calls
    /// ``decodeRequest(_:)``.
    func decodeRequest(_ request: Request, context: RequestContext) async throws -> Input

    /// Runs the model on one input.
    func predict(_ input: Input) async throws -> Output

    /// Runs the model on one input, knowing its request's context. The default calls ``predict(_:)``.
    func predict(_ input: Input, context: RequestContext) async throws -> Output

    /// Runs the model on a batch. The default runs ``predict(_:context:)`` for every input concurrently (one child
    /// task each) and returns the outputs in input order.
    /// - Returns: Exactly one output per input, in order; otherwise every request of the batch is answered 500
    ///   `Batch size mismatch`.
    func predict(batch inputs: [Input]) async throws -> [Output]

    /// Runs the model on a batch, knowing each request's context (`contexts[i]` belongs to `inputs[i]`). This is
    /// what the server calls; the default calls ``predict(batch:)``.
    func predict(batch inputs: [Input], contexts: RequestContexts) async throws -> [Output]

    /// Turns a model output into the response body.
    func encodeResponse(_ output: Output) async throws -> Response

    /// Turns a model output into the response body, knowing its request's context. The default calls
    /// ``encodeResponse(_:)``.
    func encodeResponse(_ output: Output, context: RequestContext) async throws -> Response

    /// Whether this worker's copy can serve (called from the I/O loops for `/health`: keep it fast).
    func health() -> Bool

    /// Releases what ``setup(device:)`` acquired. Called once per worker when the server stops, after every
    /// prediction of that worker has finished.
    mutating func teardown() async
}

extension LitAsyncAPI {
    public static var needsRequestHeaders: Bool { false }

    public func authorize(_ context: RequestContext) throws { throw AuthorizeNotImplemented() }

    public mutating func setup(device: Device) async throws {}

    public func decodeRequest(_ request: Request, context: RequestContext) async throws -> Input {
        try await decodeRequest(request)
    }

    /// Answers 500 when an API implements neither `decodeRequest` (nor has `Input == Request`).
    public func decodeRequest(_ request: Request) async throws -> Input {
        throw HTTPError(500, "decodeRequest is not implemented")
    }

    /// Answers 500 when an API implements neither `predict(_:)` nor `predict(_:context:)` nor a batch form.
    public func predict(_ input: Input) async throws -> Output {
        throw HTTPError(500, "predict is not implemented")
    }

    public func predict(_ input: Input, context: RequestContext) async throws -> Output {
        try await predict(input)
    }

    public func predict(batch inputs: [Input]) async throws -> [Output] {
        let contexts = AsyncBatchContexts.current
        func context(_ index: Int) -> RequestContext {
            if let contexts, index < contexts.endIndex { contexts[index] } else { RequestContext() }
        }
        if inputs.count == 1 { return [try await predict(inputs[0], context: context(0))] }
        // Inputs and outputs need not be Sendable: each child task gets its input through an unchecked box, and
        // the parent collects the outputs only after the group has finished with them.
        var outputs = [UncheckedBox<Output>?](repeating: nil, count: inputs.count)
        try await withThrowingTaskGroup(of: (Int, UncheckedBox<Output>).self) { group in
            for index in inputs.indices {
                let input = UncheckedBox(inputs[index])
                let itsContext = context(index)
                group.addTask {
                    (index, UncheckedBox(try await self.predict(input.value, context: itsContext)))
                }
            }
            for try await (index, output) in group { outputs[index] = output }
        }
        return outputs.compactMap { $0?.value }
    }

    public func predict(batch inputs: [Input], contexts: RequestContexts) async throws -> [Output] {
        try await AsyncBatchContexts.$current.withValue(contexts) { try await predict(batch: inputs) }
    }

    public func encodeResponse(_ output: Output, context: RequestContext) async throws -> Response {
        try await encodeResponse(output)
    }

    /// Answers 500 when an API implements neither `encodeResponse` form (nor has `Response == Output`).
    public func encodeResponse(_ output: Output) async throws -> Response {
        throw HTTPError(500, "encodeResponse is not implemented")
    }

    public func health() -> Bool { true }

    public mutating func teardown() async {}
}

extension LitAsyncAPI where Input == Request {
    public func decodeRequest(_ request: Request) async throws -> Input { request }
}

extension LitAsyncAPI where Response == Output {
    public func encodeResponse(_ output: Output) async throws -> Response { output }
}

/// The contexts of the batch a task is predicting, for the default ``LitAsyncAPI/predict(batch:)`` (the async
/// counterpart of the synchronous path's per-thread pointer: a task may resume on any thread).
enum AsyncBatchContexts {
    @TaskLocal static var current: RequestContexts?
}
