/// Streams a ``LitStreamingAPI``'s outputs as raw bytes of one media type (`audio/wav` as it is synthesised,
/// `application/octet-stream`, ...): each emitted `[UInt8]` is sent at once as it is, chunked, without framing.
///
/// ```swift
/// struct Tone: LitStreamingAPI {
///     struct Request: Decodable, Sendable { var frequency: Double; var duration: Double }
///     func predict(_ request: Request, emit: ([UInt8]) throws -> Void) throws {
///         try emit(wavHeader(...))
///         for block in samples(request) { try emit(block) }
///     }
/// }
/// LitEndpoint(binaryStreaming: Tone(), contentType: "audio/wav", path: "/predict/stream")
/// ```
///
/// The request is JSON, or a ``LitRequestBody`` kind. A failure after the first bytes cannot be told in the body:
/// the stream then ends without its terminating chunk (HTTP/1.1) and the connection closes, so a client sees an
/// incomplete answer, never a clean end.
public struct BinaryStreamCodec<API: LitStreamingAPI>: StreamingCodec where API.Response == [UInt8] {
    /// The `Content-Type` of every answer.
    public let contentType: String

    /// Creates the codec.
    /// - Parameter contentType: The media type of the streamed bytes, e.g. `"audio/wav"`. An invalid value (a control
    ///   character, no `/`) makes every answer a logged `500`.
    public init(contentType: String) {
        self.contentType = contentType
    }

    public func decode(body: [UInt8], context: RequestContext, api: API) throws -> (API.Input, Void) {
        let request = try StreamingRequests.decode(API.Request.self, body: body, context: context)
        return (try api.decodeRequest(request, context: context), ())
    }

    public func isStreamed(_ state: Void) -> Bool { true }

    public func contentType(_ state: Void) -> StreamContentType { .media(contentType) }

    public func encode(_ output: API.Output, state: inout Void, api: API) throws -> [UInt8] {
        try api.encodeResponse(output)
    }

    public func end(state: inout Void) throws -> [UInt8] { [] }

    public func errorTrailer(_ message: String, state: Void) -> [UInt8] { [] }
}

extension LitEndpoint {
    /// Serves a streaming API whose outputs are bytes of one media type, each sent at once (``BinaryStreamCodec``).
    /// - Parameters:
    ///   - api: The API; each worker gets its own copy before `setup`.
    ///   - contentType: The media type of the streamed bytes, e.g. `"audio/wav"`.
    ///   - path: The `POST` route. Must start with `/`.
    ///   - maxBatchSize: Requests per `predict(batch:emit:)` call, at most.
    ///   - batchTimeout: The batch window, from the first request's arrival.
    ///   - workersPerDevice: Predict workers per device.
    ///   - devices: Devices (CPU indices) to spread workers over.
    public init<API: LitStreamingAPI>(
        binaryStreaming api: API,
        contentType: String,
        path: String = "/predict",
        maxBatchSize: Int = 1,
        batchTimeout: Duration = .zero,
        workersPerDevice: Int = 1,
        devices: Int = 1
    ) where API.Response == [UInt8] {
        self.init(
            streaming: api,
            codec: BinaryStreamCodec<API>(contentType: contentType),
            path: path,
            maxBatchSize: maxBatchSize,
            batchTimeout: batchTimeout,
            workersPerDevice: workersPerDevice,
            devices: devices
        )
    }
}

/// Request decoding for streaming codecs: JSON, or a ``LitRequestBody`` kind (found out per request: a streamed
/// answer costs far more than the check).
enum StreamingRequests {
    static func decode<Request: Decodable>(
        _ type: Request.Type,
        body: [UInt8],
        context: RequestContext,
        limits: FormLimits = FormLimits()
    ) throws -> Request {
        guard let kind = type as? any LitRequestBody.Type else { return try LitJSON.decode(type, from: body) }
        let raw = RawBody(bytes: body, fields: context.fields, head: context.bodyHead)
        let bodyContext = RequestBodyContext(path: context.path, formLimits: limits)
        guard let request = try kind.init(body: raw, context: bodyContext) as? Request else {
            throw HTTPError(500, "Request kind mismatch")
        }
        return request
    }
}
