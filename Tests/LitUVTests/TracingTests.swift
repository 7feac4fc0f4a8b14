import Foundation
import Synchronization
import Testing
import Tracing

@testable import LitUV

#if canImport(Glibc)
import Glibc
#endif

/// x², keeping the trace context fields its hooks saw.
struct TraceHeadersAPI: LitAPI {
    typealias Request = SquareAPI.Request
    typealias Response = SquareAPI.Response
    let seen: Locked<[[(name: String, value: String)]]>

    func decodeRequest(_ request: Request, context: RequestContext) throws -> Double {
        seen.withLock { $0.append(context.traceHeaders) }
        if request.input < 0 { throw HTTPError(422, "input must not be negative") }
        return request.input
    }
    func predict(_ x: Double) throws -> Double { x * x }
    func encodeResponse(_ y: Double) throws -> Response { Response(output: y) }
}

private let clientTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
private let clientSpan = "00f067aa0ba902b7"
private let traceparent = "00-\(clientTrace)-\(clientSpan)-01"

/// Waits (at most 5 s) until `tracer` has a request span that ended, and returns every span of its trace.
private func finishedTrace(_ tracer: RecordingTracer, requestID: String) throws -> [RecordingTracer.Record] {
    let deadline = ContinuousClock.now + .seconds(5)
    while ContinuousClock.now < deadline {
        if let root = tracer.ended.first(where: { $0.kind == .server && $0.string("lituv.request_id") == requestID }) {
            return tracer.records.filter { $0.traceID == root.traceID }
        }
        usleep(1_000)
    }
    throw TestClientError.timedOut
}

@Suite("Tracing")
struct TracingTests {
    func configuration() -> LitServer.Configuration {
        var configuration = testConfiguration()
        configuration.requestIDs = true
        return configuration
    }

    @Test func aRequestSpanContinuesTheClientsTraceWithAChildSpanPerStage() throws {
        let tracer = RecordingTracer()
        let seen = Locked<[[(name: String, value: String)]]>([])
        let server = try LitServer(TraceHeadersAPI(seen: seen), configuration: configuration())
        try withTracer(tracer) {
            try withRunningServer(server) { running in
                #expect(running.tracesRequests)
                let client = try TestClient(port: running.port)
                let response = try client.request(
                    "POST",
                    "/predict",
                    body: #"{"input":3}"#,
                    headers: ["TraceParent: \(traceparent)", "tracestate: congo=t61rcWkgMzE", "X-Request-Id: traced"]
                )
                #expect(response.status == 200)
            }
        }
        let spans = try finishedTrace(tracer, requestID: "traced")
        let root = try #require(spans.first { $0.kind == .server })
        #expect(root.name == "POST /predict")
        #expect(root.traceID == clientTrace)
        #expect(root.parentSpanID == clientSpan)
        #expect(root.int("http.response.status_code") == 200)
        #expect(root.string("http.route") == "/predict")
        #expect(root.status == nil)
        let children = spans.filter { $0.kind == .internal }
        #expect(children.map(\.name) == ["queue", "decodeRequest", "predict", "encodeResponse"])
        for child in children {
            #expect(child.parentSpanID == root.spanID)
            #expect(child.string("lituv.request_id") == "traced")
            let start = child.start
            let end = try #require(child.end)
            #expect(start <= end)
            #expect(root.start <= start)
        }
        #expect(children.first { $0.name == "predict" }?.int("lituv.batch_size") == 1)
        // The hooks see the client's fields.
        let fields = seen.withLock { $0 }.first ?? []
        #expect(fields.map(\.name) == ["traceparent", "tracestate"])
        #expect(fields.first?.value == traceparent)
    }

    @Test func aRequestWithoutAValidTraceparentStartsANewTrace() throws {
        let tracer = RecordingTracer()
        let seen = Locked<[[(name: String, value: String)]]>([])
        let server = try LitServer(TraceHeadersAPI(seen: seen), configuration: configuration())
        try withTracer(tracer) {
            try withRunningServer(server) { running in
                let client = try TestClient(port: running.port)
                let malformed = "00-\(clientTrace)-0000000000000000-01"  // an all-zero span id is invalid
                let response = try client.request(
                    "POST",
                    "/predict",
                    body: #"{"input":-1}"#,
                    headers: ["traceparent: \(malformed)", "X-Request-Id: fresh"]
                )
                #expect(response.status == 422)
            }
        }
        let spans = try finishedTrace(tracer, requestID: "fresh")
        let root = try #require(spans.first { $0.kind == .server })
        #expect(root.parentSpanID == nil)
        #expect(root.traceID != clientTrace)
        #expect(root.int("http.response.status_code") == 422)
        // The decode failed: its span says so, and there is no predict or encode span.
        let decode = try #require(spans.first { $0.name == "decodeRequest" })
        #expect(decode.status?.code == .error)
        #expect(decode.errors == 1)
        #expect(spans.map(\.name).sorted() == ["POST /predict", "decodeRequest", "queue"])
        #expect(seen.withLock { $0 }.first?.isEmpty == true)
    }

    @Test func batchedRequestsGetTheirOwnPredictSpansWithTheBatchSize() throws {
        let tracer = RecordingTracer()
        let server = try LitServer(
            CountingAPI(),
            maxBatchSize: 2,
            batchTimeout: .seconds(5),
            configuration: configuration()
        )
        try withTracer(tracer) {
            try withRunningServer(server) { running in
                let clients = try sendPredictionsAtOnce(port: running.port, count: 2, idPrefix: "batch")
                for client in clients { #expect(try client.readResponse().status == 200) }
            }
        }
        for index in 0..<2 {
            let spans = try finishedTrace(tracer, requestID: "batch\(index)")
            let predict = try #require(spans.first { $0.name == "predict" })
            #expect(predict.int("lituv.batch_size") == 2)
            #expect(predict.string("lituv.request_id") == "batch\(index)")
        }
    }

    @Test func aRequestWhoseClientLeftEndsItsSpansMarkedAbandoned() throws {
        let tracer = RecordingTracer()
        let recorder = EventRecorder()
        var configuration = configuration()
        configuration.callbacks = [recorder]
        let server = try LitServer(PerRequestSquareAPI(delay: .milliseconds(300)), configuration: configuration)
        try withTracer(tracer) {
            try withRunningServer(server) { running in
                let client = try TestClient(port: running.port)
                client.resetOnClose()
                try client.send(
                    TestClient.format("POST", "/predict", body: #"{"input":1}"#, headers: ["X-Request-Id: gone"])
                )
                // Leave while the prediction runs; the server drops the answer.
                let deadline = ContinuousClock.now + .seconds(5)
                while recorder.names(for: "gone").contains("willPredict") == false && ContinuousClock.now < deadline {
                    usleep(1_000)
                }
            }
        }
        let spans = try finishedTrace(tracer, requestID: "gone")
        let root = try #require(spans.first { $0.kind == .server })
        if case .bool(true)? = root.attributes["lituv.abandoned"]?.toSpanAttribute() {
        } else {
            Issue.record("the request span is not marked abandoned: \(root.attributes)")
        }
        #expect(root.int("http.response.status_code") == nil)
        #expect(spans.allSatisfy { $0.end != nil })
        #expect(!recorder.names(for: "gone").contains("responseSent"))
    }

    @Test func withoutATracerNothingIsTracedAndTraceFieldsAreNotKept() throws {
        let seen = Locked<[[(name: String, value: String)]]>([])
        let server = try LitServer(TraceHeadersAPI(seen: seen), configuration: configuration())
        try withRunningServer(server) { running in
            #expect(!running.tracesRequests)
            #expect(!running.isObserved)
            let client = try TestClient(port: running.port)
            let response = try client.request(
                "POST",
                "/predict",
                body: #"{"input":2}"#,
                headers: ["traceparent: \(traceparent)"]
            )
            #expect(response.status == 200)
        }
        #expect(seen.withLock { $0 }.first?.isEmpty == true)
    }

    @Test func traceContextFieldsAreKeptOnlyWhenTheTraceparentIsValid() {
        func names(_ fields: [(name: String, value: String)]) -> [String] { fields.map(\.name) }
        #expect(names(TraceHeaders.validated(traceparent: traceparent, tracestate: nil)) == ["traceparent"])
        #expect(
            names(TraceHeaders.validated(traceparent: traceparent, tracestate: "a=1,b=2"))
                == ["traceparent", "tracestate"]
        )
        // A bad tracestate is dropped; the traceparent stays.
        #expect(names(TraceHeaders.validated(traceparent: traceparent, tracestate: "Vendor!=x")) == ["traceparent"])
        for bad in [
            "", "00-\(clientTrace)-\(clientSpan)", "ff-\(clientTrace)-\(clientSpan)-01",
            "00-00000000000000000000000000000000-\(clientSpan)-01", "00-\(clientTrace)-\(clientSpan)-0g",
            "00_\(clientTrace)-\(clientSpan)-01",
        ] {
            #expect(TraceHeaders.validated(traceparent: bad, tracestate: "a=1").isEmpty, "\(bad)")
        }
    }
}
