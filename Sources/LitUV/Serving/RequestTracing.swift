import Tracing
import W3CTraceContext

#if canImport(Glibc)
import Glibc
#endif

/// The tracer of one server run, through swift-distributed-tracing: a request span per request that reaches an API
/// (continuing the client's W3C trace context when it sent one), with child spans for the queue wait, decode,
/// predict and encode.
///
/// Chosen once, when the server starts: the tracer the application bootstrapped (`InstrumentationSystem.bootstrap`)
/// or bound with `withTracer`, and nil when that is the no-op tracer, so that an untraced server does nothing per
/// request.
struct RequestTracer: Sendable {
    let tracer: any Tracer

    /// The active tracer, or nil when it is the no-op one.
    static func active() -> RequestTracer? {
        let tracer = InstrumentationSystem.tracer
        if tracer is NoOpTracer { return nil }
        return RequestTracer(tracer: tracer)
    }

    /// Starts the span of a request (kind `server`, named `"POST /predict"`): a child of the client's span when the
    /// request carried a valid `traceparent`, else the root of a new trace.
    /// - Parameter startedAt: Monotonic nanoseconds when the request's head was complete.
    func startRequestSpan(for context: RequestContext, startedAt: UInt64) -> any Span {
        var parent = InstrumentationContext.topLevel
        if !context.traceHeaders.isEmpty {
            tracer.extract(context.traceHeaders, into: &parent, using: TraceHeaderExtractor())
        }
        let span = tracer.startSpan(
            "\(context.method) \(context.path)",
            context: parent,
            ofKind: .server,
            at: TraceClock.instant(startedAt)
        )
        span.attributes["http.request.method"] = context.method
        span.attributes["http.route"] = context.path
        span.attributes["url.path"] = context.path
        if let id = context.requestID { span.attributes["lituv.request_id"] = id }
        return span
    }

    /// Starts a stage's span (`queue`, `decodeRequest`, `predict`, `encodeResponse`) under a request's span.
    /// - Parameter at: Monotonic nanoseconds when the stage started.
    func startStageSpan(_ name: String, under parent: any Span, at: UInt64, requestID: String?) -> any Span {
        let span = tracer.startSpan(name, context: parent.context, ofKind: .internal, at: TraceClock.instant(at))
        if let requestID { span.attributes["lituv.request_id"] = requestID }
        return span
    }
}

/// Ends `span` at a monotonic time, marking it failed when `error` is not nil.
func endSpan(_ span: any Span, at nanoseconds: UInt64, error: (any Error)? = nil) {
    if let error {
        span.recordError(error)
        span.setStatus(SpanStatus(code: .error))
    }
    span.end(at: TraceClock.instant(nanoseconds))
}

/// Span times: the server measures stages on the monotonic clock (``Monotonic``); tracers want wall-clock instants.
enum TraceClock {
    /// The wall-clock instant of a monotonic time (a recent one: the clocks are read now, so a step of the wall clock
    /// since then is not applied backwards).
    static func instant(_ monotonic: UInt64) -> DefaultTracerClock.Timestamp {
        let monotonicNow = Monotonic.nanoseconds()
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let wallNow = UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
        let age = monotonicNow >= monotonic ? monotonicNow - monotonic : 0
        return DefaultTracerClock.Timestamp(nanosecondsSinceEpoch: wallNow &- age)
    }
}

/// Reads `traceparent` and `tracestate` from the header fields the server kept (names compared case-insensitively).
struct TraceHeaderExtractor: Extractor {
    func extract(key: String, from carrier: [(name: String, value: String)]) -> String? {
        carrier.first { $0.name.lowercased() == key }?.value
    }
}

/// The W3C trace context fields of a request head, taken at head time on the loop when a tracer is active.
enum TraceHeaders {
    /// The request's `traceparent` and `tracestate` fields when its `traceparent` is valid (W3C Trace Context,
    /// parsed with swift-w3c-trace-context); several `tracestate` fields are joined with commas, an invalid one is
    /// dropped. Empty when there is no valid `traceparent` (none, two, or malformed): the request starts a new trace.
    static func capture(_ head: HTTPRequestHead, in buffer: UnsafeRawBufferPointer) -> [(name: String, value: String)] {
        var parent: String?
        var parents = 0
        var state: String?
        for field in head.headers {
            switch field.name.count {
            case 11 where HTTPRequestParser.equalsIgnoringCase(buffer, field.name, "traceparent"):
                parents += 1
                parent = text(buffer, field.value)
            case 10 where HTTPRequestParser.equalsIgnoringCase(buffer, field.name, "tracestate"):
                let value = text(buffer, field.value)
                state = state.map { $0 + "," + value } ?? value
            default:
                break
            }
        }
        guard parents == 1, let parent else { return [] }
        return validated(traceparent: parent, tracestate: state)
    }

    /// The fields to keep for a `traceparent` and an optional `tracestate` (see ``capture(_:in:)``).
    static func validated(traceparent: String, tracestate: String?) -> [(name: String, value: String)] {
        guard (try? TraceContext(traceParentHeaderValue: traceparent)) != nil else { return [] }
        guard let tracestate,
            (try? TraceContext(traceParentHeaderValue: traceparent, traceStateHeaderValue: tracestate)) != nil
        else { return [("traceparent", traceparent)] }
        return [("traceparent", traceparent), ("tracestate", tracestate)]
    }

    private static func text(_ buffer: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: buffer[range]), as: UTF8.self)
    }
}
