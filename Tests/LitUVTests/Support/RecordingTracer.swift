import Synchronization
import Tracing
import W3CTraceContext

/// A `Tracer` for tests that records every span it starts. It continues W3C trace contexts (`traceparent`, parsed
/// with swift-w3c-trace-context) the way an OpenTelemetry tracer does. Bind it for one server with
/// `withTracer(tracer) { server.start(...) }`: the server picks the tracer when it starts, so no test has to
/// bootstrap the process-wide `InstrumentationSystem` (which can happen once per process).
final class RecordingTracer: Tracer, Sendable {
    /// One span as recorded (a snapshot).
    struct Record: Sendable {
        var name: String
        var kind: SpanKind
        var traceID: String
        var spanID: String
        var parentSpanID: String?
        var attributes: SpanAttributes
        var status: SpanStatus?
        var errors: Int
        var start: UInt64
        var end: UInt64?

        func string(_ key: String) -> String? {
            if case .string(let value)? = attributes[key]?.toSpanAttribute() { return value }
            return nil
        }

        func int(_ key: String) -> Int64? {
            if case .int64(let value)? = attributes[key]?.toSpanAttribute() { return value }
            return nil
        }
    }

    /// The IDs a span puts in its context (the parent of the spans started from it).
    struct IDs: Sendable {
        var traceID: String
        var spanID: String
    }

    enum IDsKey: InstrumentationContextKey {
        typealias Value = IDs
    }

    private let spans = Mutex<[Record]>([])

    var records: [Record] { spans.withLock { $0 } }

    /// Spans that ended, in the order they were started.
    var ended: [Record] { records.filter { $0.end != nil } }

    func startSpan<Instant: TracerInstant>(
        _ operationName: String,
        context: @autoclosure () -> InstrumentationContext,
        ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant,
        function: String,
        file fileID: String,
        line: UInt
    ) -> RecordingSpan {
        var context = context()
        let parent = context[IDsKey.self]
        let ids = IDs(traceID: parent?.traceID ?? TraceID.random().description, spanID: SpanID.random().description)
        context[IDsKey.self] = ids
        let index = spans.withLock { spans in
            spans.append(
                Record(
                    name: operationName,
                    kind: kind,
                    traceID: ids.traceID,
                    spanID: ids.spanID,
                    parentSpanID: parent?.spanID,
                    attributes: [:],
                    status: nil,
                    errors: 0,
                    start: instant().nanosecondsSinceEpoch
                )
            )
            return spans.count - 1
        }
        return RecordingSpan(tracer: self, index: index, context: context, operationName: operationName)
    }

    fileprivate func update(_ index: Int, _ body: (inout Record) -> Void) {
        spans.withLock { body(&$0[index]) }
    }

    fileprivate func record(_ index: Int) -> Record {
        spans.withLock { $0[index] }
    }

    func forceFlush() {}

    func extract<Carrier, Extract: Extractor>(
        _ carrier: Carrier,
        into context: inout InstrumentationContext,
        using extractor: Extract
    ) where Extract.Carrier == Carrier {
        guard let parent = extractor.extract(key: "traceparent", from: carrier),
            let trace = try? TraceContext(traceParentHeaderValue: parent)
        else { return }
        context[IDsKey.self] = IDs(traceID: trace.traceID.description, spanID: trace.spanID.description)
    }

    func inject<Carrier, Inject: Injector>(
        _ context: InstrumentationContext,
        into carrier: inout Carrier,
        using injector: Inject
    ) where Inject.Carrier == Carrier {
        guard let ids = context[IDsKey.self] else { return }
        injector.inject("00-\(ids.traceID)-\(ids.spanID)-01", forKey: "traceparent", into: &carrier)
    }
}

/// A span of ``RecordingTracer``: writes through to the tracer's records.
struct RecordingSpan: Span {
    let tracer: RecordingTracer
    let index: Int
    let context: InstrumentationContext

    init(tracer: RecordingTracer, index: Int, context: InstrumentationContext, operationName: String) {
        self.tracer = tracer
        self.index = index
        self.context = context
    }

    var operationName: String {
        get { tracer.record(index).name }
        nonmutating set { tracer.update(index) { $0.name = newValue } }
    }

    var attributes: SpanAttributes {
        get { tracer.record(index).attributes }
        nonmutating set { tracer.update(index) { $0.attributes = newValue } }
    }

    var isRecording: Bool { tracer.record(index).end == nil }

    func setStatus(_ status: SpanStatus) {
        tracer.update(index) { $0.status = status }
    }

    func addEvent(_ event: SpanEvent) {}

    func recordError<Instant: TracerInstant>(
        _ error: any Error,
        attributes: SpanAttributes,
        at instant: @autoclosure () -> Instant
    ) {
        tracer.update(index) { $0.errors += 1 }
    }

    func addLink(_ link: SpanLink) {}

    func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) {
        let end = instant().nanosecondsSinceEpoch
        tracer.update(index) { if $0.end == nil { $0.end = end } }
    }
}
