/// A streaming model whose hooks are `async`: the form of ``LitStreamingAPI`` for models that await their outputs
/// (a remote generator, a runtime with its own queue). Each request's outputs are an `AsyncSequence`, each element
/// sent at once as one NDJSON line (`application/x-ndjson`, chunked).
///
/// ```swift
/// struct Relay: LitAsyncStreamingAPI {
///     struct Request: Decodable, Sendable { var prompt: String }
///     struct Response: Encodable { var token: String }
///     let client: GeneratorClient
///     func decodeRequest(_ request: Request, context: RequestContext) -> String { request.prompt }
///     func predict(_ prompt: String) async throws -> AsyncThrowingStream<String, any Error> {
///         try await client.generate(prompt)
///     }
///     func encodeResponse(_ token: String) -> Response { Response(token: token) }
/// }
/// ```
///
/// Tasks, the bound on them (``LitEndpoint/maxConcurrentPredictions``), cancellation and errors are as for
/// ``LitAsyncAPI``. Flow control as for ``LitStreamingAPI``, without blocking a thread: while the client reads
/// slower than the model writes, sending the next output *suspends* the task (the sequence is not iterated
/// meanwhile), and once the client has gone it throws `CancellationError`. An error before the first output is an
/// ordinary HTTP answer; after it, the stream ends with `{"error": "..."}` and the connection closes.
public protocol LitAsyncStreamingAPI: Sendable {
    /// The JSON body of a request.
    associatedtype Request: Decodable
    /// What ``predict(_:)`` takes.
    associatedtype Input
    /// What ``predict(_:)`` produces, one element per line.
    associatedtype Output
    /// The JSON value written for each output (one line each).
    associatedtype Response: Encodable
    /// The outputs of one request.
    associatedtype Outputs: AsyncSequence = AsyncThrowingStream<Output, any Error> where Outputs.Element == Output

    /// True when the hooks need the request headers in their ``RequestContext``. Default false.
    static var needsRequestHeaders: Bool { get }

    /// Decides whether a request may be served, from its head alone, on the I/O loop (as ``LitAPI/authorize(_:)``).
    /// The default accepts every request.
    func authorize(_ context: RequestContext) throws

    /// Prepares this worker's copy. Called once per worker before it serves; the worker waits for it.
    mutating func setup(device: Device) async throws

    /// Turns a decoded request body into a model input.
    func decodeRequest(_ request: Request, context: RequestContext) async throws -> Input

    /// The outputs for one input.
    func predict(_ input: Input) async throws -> Outputs

    /// The outputs for one input, knowing its request's context. The default calls ``predict(_:)``.
    func predict(_ input: Input, context: RequestContext) async throws -> Outputs

    /// Runs the model on a batch: `emit(i, output)` sends `output` to the request at index `i` (suspending while that
    /// client is slow; throwing `CancellationError` once it has gone). The default streams each input's
    /// ``predict(_:context:)`` in turn, skipping a request whose client has gone.
    func predict(
        batch inputs: [Input],
        contexts: RequestContexts,
        emit: (_ index: Int, _ output: Output) async throws -> Void
    ) async throws

    /// Turns one output into the JSON value sent for it.
    func encodeResponse(_ output: Output) throws -> Response

    /// Whether this worker's copy can serve (called from the I/O loops for `/health`: keep it fast).
    func health() -> Bool

    /// Releases what ``setup(device:)`` acquired, after every prediction of the worker has finished.
    mutating func teardown() async
}

extension LitAsyncStreamingAPI {
    public static var needsRequestHeaders: Bool { false }
    public func authorize(_ context: RequestContext) throws { throw AuthorizeNotImplemented() }
    public mutating func setup(device: Device) async throws {}
    public func health() -> Bool { true }
    public mutating func teardown() async {}

    /// Answers 500 when an API implements neither `predict(_:)` nor `predict(_:context:)` nor the batch form.
    public func predict(_ input: Input) async throws -> Outputs {
        throw HTTPError(500, "predict is not implemented")
    }

    public func predict(_ input: Input, context: RequestContext) async throws -> Outputs {
        try await predict(input)
    }

    public func predict(
        batch inputs: [Input],
        contexts: RequestContexts,
        emit: (_ index: Int, _ output: Output) async throws -> Void
    ) async throws {
        for index in inputs.indices {
            let context = index < contexts.endIndex ? contexts[index] : RequestContext()
            do {
                for try await output in try await predict(inputs[index], context: context) {
                    try await emit(index, output)
                }
            } catch is CancellationError {
                continue  // that client left; the others still get their outputs
            }
        }
    }
}

extension LitAsyncStreamingAPI where Input == Request {
    public func decodeRequest(_ request: Request, context: RequestContext) async throws -> Input { request }
}

extension LitAsyncStreamingAPI where Response == Output {
    public func encodeResponse(_ output: Output) throws -> Response { output }
}
