/// A model that streams its outputs as it produces them (a language model emitting tokens, for example).
///
/// Each emitted output is encoded and sent at once as one NDJSON line (`application/x-ndjson`, chunked transfer
/// encoding). Batching works as for ``LitAPI``: ``predict(batch:emit:)`` gets several inputs and emits outputs for
/// each request by index, so every step can emit one output per request of the batch.
///
/// Flow control: `emit` blocks while the client reads slower than the model writes (past a per-stream limit of
/// queued bytes), and throws `CancellationError` once the client has gone — so `predict` stops early.
public protocol LitStreamingAPI: Sendable {
    /// The JSON body of a request.
    associatedtype Request: Decodable
    /// What ``predict(_:emit:)`` takes.
    associatedtype Input
    /// What ``predict(_:emit:)`` emits.
    associatedtype Output
    /// The JSON value written for each output (one line each).
    associatedtype Response: Encodable

    /// True when ``decodeRequest(_:context:)`` needs the request headers in its ``RequestContext``.
    static var needsRequestHeaders: Bool { get }

    /// Prepares this worker's copy. Called once per worker, on that worker's thread.
    mutating func setup(device: Device) throws
    /// Decides whether a request may be served, from its head alone: throw ``HTTPError`` to refuse it. Runs on the
    /// I/O loop before the body is read, exactly as ``LitAPI/authorize(_:)``. The default accepts every request.
    func authorize(_ context: RequestContext) throws
    /// Turns a decoded request body into a model input.
    func decodeRequest(_ request: Request, context: RequestContext) throws -> Input
    /// Runs the model on one input, emitting outputs as they are produced.
    /// - Parameter emit: Sends one output to the client; throws `CancellationError` when the client is gone.
    func predict(_ input: Input, emit: (Output) throws -> Void) throws
    /// Runs the model on a batch. `emit(i, output)` sends `output` to the request at index `i`. The default runs
    /// ``predict(_:emit:)`` for each input in turn; a request whose client has gone is skipped.
    func predict(batch inputs: [Input], emit: (_ index: Int, _ output: Output) throws -> Void) throws
    /// Turns one output into the JSON value sent for it.
    func encodeResponse(_ output: Output) throws -> Response
    /// Whether this worker's copy can serve.
    func health() -> Bool
    /// Releases what ``setup(device:)`` acquired.
    mutating func teardown()
}

extension LitStreamingAPI {
    public static var needsRequestHeaders: Bool { false }
    public mutating func setup(device: Device) throws {}
    public func authorize(_ context: RequestContext) throws { throw AuthorizeNotImplemented() }
    public func health() -> Bool { true }
    public mutating func teardown() {}

    public func predict(batch inputs: [Input], emit: (_ index: Int, _ output: Output) throws -> Void) throws {
        for (index, input) in inputs.enumerated() {
            do {
                try predict(input) { output in try emit(index, output) }
            } catch is CancellationError {
                continue  // that client left; the others still get their outputs
            }
        }
    }
}

extension LitStreamingAPI where Input == Request {
    public func decodeRequest(_ request: Request, context: RequestContext) throws -> Input { request }
}

extension LitStreamingAPI where Response == Output {
    public func encodeResponse(_ output: Output) throws -> Response { output }
}

/// How a streaming endpoint frames its responses: NDJSON by default; a spec (such as the `LitUVOpenAI` module)
/// supplies its own, e.g. server-sent events for streamed requests and one aggregated JSON body otherwise. Served
/// with ``LitEndpoint/init(streaming:codec:path:maxBatchSize:batchTimeout:workersPerDevice:devices:)``.
///
/// A codec is called on the predict worker that runs the request: ``decode(body:context:api:)`` once, then
/// ``encode(_:state:api:)`` for each output and ``end(state:)`` (or ``errorTrailer(_:state:)`` when the model
/// failed after the stream started).
public protocol StreamingCodec<API>: Sendable {
    /// The streaming API whose outputs this codec frames.
    associatedtype API: LitStreamingAPI
    /// Per-request framing state (ids, counters, aggregated text).
    associatedtype State

    /// Decodes a request body. Throw ``HTTPError`` (or a ``JSONError``, answered 400) for invalid requests.
    /// - Parameters:
    ///   - body: The request body.
    ///   - context: The request's context (headers when the API asked for them).
    ///   - api: The worker's copy of the API.
    /// - Returns: The model input and the framing state for this request.
    func decode(body: [UInt8], context: RequestContext, api: API) throws -> (API.Input, State)
    /// Whether this request's answer streams (chunked) or is sent whole at the end.
    /// - Parameter state: The request's framing state.
    /// - Returns: True to stream.
    func isStreamed(_ state: State) -> Bool
    /// The content type of the answer.
    /// - Parameter state: The request's framing state.
    /// - Returns: The content type.
    func contentType(_ state: State) -> StreamContentType
    /// Bytes for one output (may be empty when the codec aggregates).
    /// - Parameters:
    ///   - output: What the model emitted.
    ///   - state: The request's framing state.
    ///   - api: The worker's copy of the API.
    /// - Returns: The bytes to send now.
    func encode(_ output: API.Output, state: inout State, api: API) throws -> [UInt8]
    /// Bytes that end a successful answer (the aggregated body when not streamed).
    /// - Parameter state: The request's framing state.
    /// - Returns: The last bytes of the answer.
    func end(state: inout State) throws -> [UInt8]
    /// The last bytes of a stream that failed after it started (an error line or event).
    /// - Parameters:
    ///   - message: What went wrong, fit for the client (see ``errorMessage(for:)``).
    ///   - state: The request's framing state.
    /// - Returns: The bytes that end the stream.
    func errorTrailer(_ message: String, state: State) -> [UInt8]
    /// A spec-specific error answer before the stream started, or nil for the default `{"detail": ...}` handling.
    /// The default is nil.
    /// - Parameter error: What a hook threw (or a decoding error).
    /// - Returns: The status and JSON body to answer with, or nil.
    func errorBody(for error: any Error) -> (status: Int, body: [UInt8])?
    /// The client-facing message of a spec-specific error thrown after the stream started, passed to
    /// ``errorTrailer(_:state:)``; nil for the default: an ``HTTPError``'s detail, else `Internal server error`.
    /// The default is nil.
    /// - Parameter error: What `predict` threw.
    /// - Returns: The message, or nil.
    func errorMessage(for error: any Error) -> String?
}

extension StreamingCodec {
    /// No spec-specific error answer: the server's default handling.
    public func errorBody(for error: any Error) -> (status: Int, body: [UInt8])? { nil }
    /// No spec-specific message: an ``HTTPError``'s detail, else `Internal server error`.
    public func errorMessage(for error: any Error) -> String? { nil }
}

/// LitUV's plain streaming format: one JSON value per line (`application/x-ndjson`); a failure mid-stream ends
/// with `{"error": "..."}`.
struct NDJSONCodec<API: LitStreamingAPI>: StreamingCodec {
    func decode(body: [UInt8], context: RequestContext, api: API) throws -> (API.Input, Void) {
        let request = try StreamingRequests.decode(API.Request.self, body: body, context: context)
        return (try api.decodeRequest(request, context: context), ())
    }
    func isStreamed(_ state: Void) -> Bool { true }
    func contentType(_ state: Void) -> StreamContentType { .ndjson }
    func encode(_ output: API.Output, state: inout Void, api: API) throws -> [UInt8] {
        var line = try LitJSON.encode(try api.encodeResponse(output))
        line.append(UInt8(ascii: "\n"))
        return line
    }
    func end(state: inout Void) throws -> [UInt8] { [] }
    func errorTrailer(_ message: String, state: Void) -> [UInt8] {
        var line: [UInt8] = Array(#"{"error":"#.utf8)
        HTTPResponse.appendJSONString(message, to: &line)
        line += Array("}\n".utf8)
        return line
    }
}

/// Content types a streaming endpoint can answer with.
public enum StreamContentType: Sendable, Hashable {
    /// `application/x-ndjson`: one JSON value per line.
    case ndjson
    /// `text/event-stream`: server-sent events.
    case eventStream
    /// `application/json`: one JSON body.
    case json
    /// Any other media type (`audio/wav`, `application/octet-stream`, ...), for binary streams (``BinaryStreamCodec``).
    /// An invalid value (a control character, no `/`) makes the answer a logged `500`.
    case media(String)
}
