/// A model served by LitUV: the Swift form of LitServe's `LitAPI`.
///
/// Each predict worker owns its own copy of the API and calls ``setup(device:)`` once on its own thread before
/// serving; then, for every batch of requests, LitUV decodes each JSON body into ``Request``, calls
/// ``decodeRequest(_:)``, ``predict(batch:)`` and ``encodeResponse(_:)``, and writes each ``Response`` as JSON.
///
/// ```swift
/// struct Square: LitAPI {
///     struct Request: Decodable, Sendable { var input: Double }
///     struct Response: Encodable { var output: Double }
///     func decodeRequest(_ request: Request) throws -> Double { request.input }
///     func predict(_ x: Double) throws -> Double { x * x }
///     func encodeResponse(_ y: Double) throws -> Response { Response(output: y) }
/// }
/// ```
///
/// Errors: throw ``HTTPError`` from any hook to answer with its status and `{"detail": ...}`; any other error is
/// logged and answered `500 {"detail":"Internal server error"}`, so internal messages never reach clients.
///
/// The API value is copied to every worker before `setup` runs, so it must be `Sendable`; load weights and other
/// per-worker state in ``setup(device:)``.
public protocol LitAPI: Sendable {
    /// The JSON body of a request.
    associatedtype Request: Decodable
    /// What ``predict(_:)`` takes.
    associatedtype Input
    /// What ``predict(_:)`` returns.
    associatedtype Output
    /// The JSON body of a response.
    associatedtype Response: Encodable

    /// True when the worker hooks need the request headers and the client's address in their ``RequestContext``
    /// (copying them costs allocations per request, so they are only collected when asked for). Default false.
    /// ``authorize(_:)`` sees them whatever this says.
    static var needsRequestHeaders: Bool { get }

    /// Decides whether a request may be served, from its head alone (LitServe's `authorize`): throw ``HTTPError``
    /// (401, 403, 429, ...) to refuse it. Any other error refuses it with a logged `500`.
    ///
    /// It runs on the I/O loop that read the request, as soon as its head is parsed, on the API value given to the
    /// server (not a worker's set-up copy: it must not depend on ``setup(device:)``): a refused request is answered
    /// at once, its body is never read, and it never reaches the queue or a worker. Keep it fast and non-blocking.
    /// The context has the headers, the client's address, the TLS server name and the request id. The default
    /// accepts every request (and costs nothing: the server notices it is not implemented).
    func authorize(_ context: RequestContext) throws

    /// Prepares this worker's copy (load weights here). Called once per worker, on that worker's thread.
    /// - Parameter device: The device this worker serves on.
    /// - Throws: Any error: the server fails to start and `run()` rethrows it.
    mutating func setup(device: Device) throws

    /// Turns a decoded request body into a model input.
    /// - Throws: ``HTTPError`` to answer with a chosen status (400 for invalid values, for example).
    func decodeRequest(_ request: Request) throws -> Input

    /// Turns a decoded request body into a model input, knowing the request's headers and path. The default calls
    /// ``decodeRequest(_:)``; implement this one instead when you need the context (and set
    /// ``needsRequestHeaders`` for the headers).
    func decodeRequest(_ request: Request, context: RequestContext) throws -> Input

    /// Runs the model on one input.
    func predict(_ input: Input) throws -> Output

    /// Runs the model on one input, knowing its request's context. The default calls ``predict(_:)``.
    func predict(_ input: Input, context: RequestContext) throws -> Output

    /// Runs the model on a batch. The default calls ``predict(_:context:)`` for each input (with its request's
    /// context).
    /// - Returns: Exactly one output per input, in order; otherwise every request of the batch is answered 500
    ///   `Batch size mismatch`.
    func predict(batch inputs: [Input]) throws -> [Output]

    /// Runs the model on a batch, knowing each request's context (`contexts[i]` is the context of `inputs[i]`).
    /// This is what the server calls; the default calls ``predict(batch:)``.
    func predict(batch inputs: [Input], contexts: RequestContexts) throws -> [Output]

    /// Turns a model output into the response body.
    func encodeResponse(_ output: Output) throws -> Response

    /// Turns a model output into the response body, knowing its request's context. The default calls
    /// ``encodeResponse(_:)``.
    func encodeResponse(_ output: Output, context: RequestContext) throws -> Response

    /// Whether this worker's copy can serve. `/health` answers 200 only when every worker's copy says true.
    func health() -> Bool

    /// Releases what ``setup(device:)`` acquired. Called once per worker when the server stops.
    mutating func teardown()
}

extension LitAPI {
    public static var needsRequestHeaders: Bool { false }

    @inlinable
    public func decodeRequest(_ request: Request, context: RequestContext) throws -> Input {
        try decodeRequest(request)
    }

    /// Answers 500 when an API implements neither `decodeRequest` (nor has `Input == Request`).
    public func decodeRequest(_ request: Request) throws -> Input {
        throw HTTPError(500, "decodeRequest is not implemented")
    }

    public mutating func setup(device: Device) throws {}

    public func authorize(_ context: RequestContext) throws {
        throw AuthorizeNotImplemented()
    }

    /// Answers 500 when an API implements neither `predict(_:)` nor `predict(_:context:)` nor a batch form.
    public func predict(_ input: Input) throws -> Output {
        throw HTTPError(500, "predict is not implemented")
    }

    // The defaults on the request path are @inlinable: the worker calls them through the API's conformance, and only
    // a copy specialised for the API's types avoids generic metadata lookups per request.

    @inlinable
    public func predict(_ input: Input, context: RequestContext) throws -> Output {
        try predict(input)
    }

    @inlinable
    public func predict(batch inputs: [Input]) throws -> [Output] {
        var outputs: [Output] = []
        outputs.reserveCapacity(inputs.count)
        let contexts = RequestContexts.current
        for index in inputs.indices {
            let context =
                if let contexts, index < contexts.endIndex { contexts[index] } else { RequestContext() }
            outputs.append(try predict(inputs[index], context: context))
        }
        return outputs
    }

    @inlinable
    public func predict(batch inputs: [Input], contexts: RequestContexts) throws -> [Output] {
        try RequestContexts.withCurrent(contexts) { try predict(batch: inputs) }
    }

    @inlinable
    public func encodeResponse(_ output: Output, context: RequestContext) throws -> Response {
        try encodeResponse(output)
    }

    /// Answers 500 when an API implements neither `encodeResponse` form (nor has `Response == Output`).
    public func encodeResponse(_ output: Output) throws -> Response {
        throw HTTPError(500, "encodeResponse is not implemented")
    }

    public func health() -> Bool { true }

    public mutating func teardown() {}
}

extension LitAPI where Input == Request {
    public func decodeRequest(_ request: Request) throws -> Input { request }
}

extension LitAPI where Response == Output {
    public func encodeResponse(_ output: Output) throws -> Response { output }
}

/// Thrown by the default ``LitAPI/authorize(_:)``: the server then stops calling it for that endpoint.
struct AuthorizeNotImplemented: Error {}

/// A device a worker runs on. LitUV itself only knows the CPU; `index` tells workers of a multi-device server
/// apart (the `devices` option), as LitServe's `device` string does.
public struct Device: Sendable, Hashable, CustomStringConvertible {
    /// The accelerator kind, e.g. `"cpu"`.
    public var kind: String
    /// The device index, 0 ..< devices.
    public var index: Int

    /// Creates a device description.
    public init(kind: String = "cpu", index: Int = 0) {
        self.kind = kind
        self.index = index
    }

    /// `"cpu"` for the only CPU device, else `"cpu:1"` and so on (LitServe's spelling).
    public var description: String { index == 0 ? kind : "\(kind):\(index)" }
}

/// An error a hook throws to answer with a chosen HTTP status and `{"detail": ...}` (LitServe's `HTTPException`).
public struct HTTPError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The status to answer with (400...599).
    public var status: Int
    /// The message sent to the client as `detail`.
    public var detail: String

    /// Creates an error that becomes the response `status` with body `{"detail": detail}`.
    /// - Parameters:
    ///   - status: An HTTP status code; values outside 400...599 are sent as 500.
    ///   - detail: A message safe to show to the client.
    public init(_ status: Int, _ detail: String) {
        self.status = status
        self.detail = detail
    }

    public var description: String { "HTTP \(status): \(detail)" }
}
