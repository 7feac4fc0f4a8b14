/// A generative model served with continuous batching: LitUV runs one step loop per endpoint and asks the model to
/// advance every active sequence by one step at a time (one call for the whole batch, the cost of one forward pass
/// on a GPU). New requests join the running batch before the next step, finished ones leave after theirs, so a
/// short request never waits for the longest one of its batch (LitServe's `ContinuousBatchingLoop`, vLLM, TGI).
///
/// ```swift
/// struct Counter: LitGenerativeAPI {
///     struct Request: Decodable, Sendable { var count: Int }
///     var maxActive: Int { 64 }
///     func prefill(_ input: Request) throws -> (state: [Int], output: String?) { ([input.count, 0], nil) }
///     func step(_ states: inout [[Int]]) throws -> [String?] {
///         states.indices.map { index in
///             states[index][1] += 1
///             return "token \(states[index][1])"
///         }
///     }
///     func isFinished(_ state: [Int]) -> Bool { state[1] >= state[0] }
/// }
/// let server = try LitServer(endpoints: [LitEndpoint(generative: Counter())])
/// ```
///
/// The hooks run on the endpoint's step thread (`lituv-gen`), on its own copy of the API, in this order for each
/// request: ``decodeRequest(_:context:)``, ``prefill(_:)`` (when a place is free, see ``hasCapacity(active:)``),
/// then one ``step(_:)`` call per step with the other active sequences, ``encodeResponse(_:)`` for each output, and
/// ``release(_:)`` when the sequence leaves (finished, failed, its client gone or its deadline passed). A sequence
/// whose client reads slower than it is produced is left out of the steps until its output drains (or fails after the
/// endpoint's stream stall timeout); the others go on.
public protocol LitGenerativeAPI: Sendable {
    /// The JSON body of a request.
    associatedtype Request: Decodable
    /// What ``prefill(_:)`` takes.
    associatedtype Input
    /// One sequence's state between steps (its tokens, a KV cache slot…).
    associatedtype State
    /// What a step produces for one sequence (a token).
    associatedtype Output
    /// The JSON value written for each output.
    associatedtype Response: Encodable

    /// True when ``decodeRequest(_:context:)`` needs the request headers in its ``RequestContext``.
    static var needsRequestHeaders: Bool { get }
    /// The most sequences stepped together. Must be > 0. Default 64.
    var maxActive: Int { get }
    /// Whether one more sequence may join a batch of `active` sequences. The default: `active < maxActive`. A model
    /// that counts memory (KV cache blocks) rather than sequences answers from its own bookkeeping.
    func hasCapacity(active: Int) -> Bool

    /// Prepares this endpoint's copy. Called once, on the step thread.
    mutating func setup(device: Device) throws
    /// Decides whether a request may be served, from its head alone (see ``LitAPI/authorize(_:)``).
    func authorize(_ context: RequestContext) throws
    /// Turns a decoded request body into a model input.
    func decodeRequest(_ request: Request, context: RequestContext) throws -> Input
    /// Starts a sequence (the prompt's forward pass): its state, and a first output if the prefill produces one.
    /// Throwing answers only this request (an HTTP error, since nothing was streamed yet).
    mutating func prefill(_ input: Input) throws -> (state: State, output: Output?)
    /// Advances every given sequence by one step: one output (or nil for none this step) per state, in order.
    /// Throwing fails every sequence of this step (an error line on each stream).
    mutating func step(_ states: inout [State]) throws -> [Output?]
    /// Whether a sequence is complete (checked after its prefill and after each of its steps).
    func isFinished(_ state: State) -> Bool
    /// Frees what a sequence held, once it left the batch for any reason. The default does nothing.
    mutating func release(_ state: State)
    /// Turns one output into the JSON value sent for it.
    func encodeResponse(_ output: Output) throws -> Response
    /// Whether this copy can serve.
    func health() -> Bool
    /// Releases what ``setup(device:)`` acquired.
    mutating func teardown()
}

extension LitGenerativeAPI {
    public static var needsRequestHeaders: Bool { false }
    public var maxActive: Int { 64 }
    public func hasCapacity(active: Int) -> Bool { active < maxActive }
    public mutating func setup(device: Device) throws {}
    public func authorize(_ context: RequestContext) throws { throw AuthorizeNotImplemented() }
    public mutating func release(_ state: State) {}
    public func health() -> Bool { true }
    public mutating func teardown() {}
}

extension LitGenerativeAPI where Input == Request {
    public func decodeRequest(_ request: Request, context: RequestContext) throws -> Input { request }
}

extension LitGenerativeAPI where Response == Output {
    public func encodeResponse(_ output: Output) throws -> Response { output }
}

/// A ``LitGenerativeAPI`` seen as a ``LitStreamingAPI``, so that every ``StreamingCodec`` (NDJSON, a spec's SSE)
/// frames a continuous-batching endpoint exactly as it frames a streaming one. Only the request decoding and the
/// output encoding are used; the step loop (``ContinuousBatchEngine``) drives the model itself.
package struct GenerativeStreams<Model: LitGenerativeAPI>: LitStreamingAPI {
    package typealias Request = Model.Request
    package typealias Input = Model.Input
    package typealias Output = Model.Output
    package typealias Response = Model.Response

    /// The step thread's copy of the model.
    package var model: Model

    package init(model: Model) { self.model = model }

    package static var needsRequestHeaders: Bool { Model.needsRequestHeaders }

    package func decodeRequest(_ request: Request, context: RequestContext) throws -> Input {
        try model.decodeRequest(request, context: context)
    }

    /// Never called: a generative endpoint is driven step by step.
    package func predict(_ input: Input, emit: (Output) throws -> Void) throws {
        throw HTTPError(500, "a generative model is served by the step loop")
    }

    package func encodeResponse(_ output: Output) throws -> Response { try model.encodeResponse(output) }
}
