/// Work answered later (a prediction): the connection keeps its place in the pipeline and may cancel it.
protocol PendingResponse: AnyObject {
    /// Monotonic nanoseconds at which the request times out (`UInt64.max` for never).
    var deadline: UInt64 { get }
    /// Called on the loop thread when the answer is no longer wanted (client gone, or deadline passed).
    func cancel()
    /// Called on the loop thread when `count` bytes of a streamed answer reached the kernel (flow control).
    func streamBytesDelivered(_ count: Int)
}

/// What to do with a request once its head has been parsed.
enum HTTPRoute {
    /// Answer with this response once the request (and its body, discarded) is complete.
    case respond(HTTPResponse)
    /// Answer with this response now, without reading the request's body: a refusal (a missing API key, a request
    /// `authorize` refused, an untrusted host), so that a refused client cannot make the server read its body
    /// first. A request with a body is not read further and the connection closes after the answer; one without a
    /// body is answered like ``respond(_:)``.
    case refuse(HTTPResponse)
    /// Collect the body (at most `limits.maxPayloadSize` bytes, enforced by the parser) and call
    /// ``HTTPRequestHandler/dispatch(target:head:capture:decoration:body:responder:)``.
    case collectBody(target: Int, capture: RequestCapture?)
}

/// What a handler took from a request head for the request's dispatch, once its body is complete (the head's bytes
/// are gone by then). Made only when the endpoint asked for headers or a tracer wants the trace fields (nil
/// otherwise, so routing a request allocates nothing for it).
final class RequestCapture: Sendable {
    /// The request's header fields, names as sent, when the endpoint asked for them (else empty).
    let headers: [(name: String, value: String)]
    /// The `traceparent` and `tracestate` fields, when a tracer is bootstrapped (else empty).
    let traceHeaders: [(name: String, value: String)]

    /// The `Content-Type` field value, for an endpoint with a body kind (nil when the request has none).
    let contentType: String?
    /// Every header field packed as bytes (`name:value\n` each, see ``packHeaderFields(_:in:)``), for an endpoint
    /// with a body kind that did not ask for ``headers``: one copy of the head's fields, turned into strings only if
    /// the API reads them. Empty otherwise.
    let packedHeaders: [UInt8]
    /// Where the connection feeds the body as it arrives instead of collecting it (the dispatched body is then
    /// empty), or nil to collect it.
    let bodySink: (any HTTPBodySink)?

    init(
        headers: [(name: String, value: String)] = [],
        traceHeaders: [(name: String, value: String)] = [],
        contentType: String? = nil,
        packedHeaders: [UInt8] = [],
        bodySink: (any HTTPBodySink)? = nil
    ) {
        self.headers = headers
        self.traceHeaders = traceHeaders
        self.contentType = contentType
        self.packedHeaders = packedHeaders
        self.bodySink = bodySink
    }

    /// The head's header fields as one byte array: `name:value\n` per field, in order. A parsed name holds no `:`
    /// and a parsed value no line feed, so the packing splits back unambiguously.
    static func packHeaderFields(_ head: HTTPRequestHead, in buffer: UnsafeRawBufferPointer) -> [UInt8] {
        var size = 0
        for field in head.headers { size += field.name.count + field.value.count + 2 }
        var packed: [UInt8] = []
        packed.reserveCapacity(size)
        for field in head.headers {
            packed.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[field.name]))
            packed.append(UInt8(ascii: ":"))
            packed.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[field.value]))
            packed.append(UInt8(ascii: "\n"))
        }
        return packed
    }

    /// The `Content-Type` field's value in the head, or nil.
    static func contentType(_ head: HTTPRequestHead, in buffer: UnsafeRawBufferPointer) -> String? {
        for field in head.headers where HTTPRequestParser.equalsIgnoringCase(buffer, field.name, "content-type") {
            return String(decoding: UnsafeRawBufferPointer(rebasing: buffer[field.value]), as: UTF8.self)
        }
        return nil
    }
}

/// A routing decision: what to do, the route's tag (for ``HTTPRequestHandler/didRespond(tag:status:)``), and what
/// the pipeline adds to the answer.
struct HTTPRouting {
    var route: HTTPRoute
    var tag: Int
    var decoration: ResponseDecoration?
}

/// The server side that decides what each request means. Loop thread only.
protocol HTTPRequestHandler: AnyObject {
    /// Decides at head time. `buffer` holds the head (ranges in `head` index into it) only during the call.
    /// - Parameter startedAfterDrain: The request's first byte arrived after the server began to drain (such a
    ///   request is refused; one that started before is served as usual).
    /// - Returns: What to do, a tag identifying the route for ``didRespond(tag:status:)``, and what the pipeline
    ///   adds to the answer.
    func route(
        _ head: HTTPRequestHead,
        in buffer: UnsafeRawBufferPointer,
        startedAfterDrain: Bool,
        connection: HTTPServerConnection
    ) -> HTTPRouting
    /// Called once per final response written (for request counters).
    func didRespond(tag: Int, status: Int)
    /// Handles a request whose body is complete: answers now or returns pending work answered through `responder`.
    func dispatch(
        target: Int,
        head: RequestSummary,
        capture: RequestCapture?,
        decoration: ResponseDecoration?,
        body: [UInt8],
        responder: HTTPResponder
    ) -> HTTPDispatch
    /// True while the server drains: connections close once their pending answers are written.
    var isDraining: Bool { get }
    /// True from the moment a shutdown began (before the drain, during a drain delay): every connection closes after
    /// its last pending answer, which carries `Connection: close`.
    var closesConnections: Bool { get }
    /// A connection read every request that started before the drain (or closed): the drain waits for these.
    func connectionFinishedReadingBeforeDrain()
    /// Per-loop state shared by every connection of the loop (date cache, limits, timeouts).
    var loopState: HTTPLoopState { get }
    /// Called when a connection closes (for the loop's connection registry).
    func connectionDidClose(_ connection: HTTPServerConnection)
}

/// The parts of a request head kept after parsing (the head's byte ranges are gone by then).
struct RequestSummary: Sendable {
    var method: HTTPMethod
    var minorVersion: Int
    var keepAlive: Bool
    /// The route's tag from ``HTTPRequestHandler/route(_:in:startedAfterDrain:connection:)`` (-1 before routing).
    var tag: Int = -1
}

/// The answer to ``HTTPRequestHandler/dispatch(target:head:capture:decoration:body:responder:)``.
enum HTTPDispatch {
    case respond(HTTPResponse)
    case pending(PendingResponse)
}
