import Foundation
import Logging
import Synchronization
import Testing

@testable import LitUV

/// One event as ``EventRecorder`` heard it.
struct HeardEvent: Sendable {
    var name: String
    var requestID: String? = nil
    var thread = currentThreadName()
    var batchSize: Int? = nil
    var duration: Duration? = nil
    var failed = false
    var status: Int? = nil
    var path: String? = nil
    var latency: Duration? = nil
    var queueWait: Duration? = nil
    var hasRequest = false
    var ports: [Int]? = nil
}

/// A callback that records every event, with the thread it came on.
final class EventRecorder: LitCallback {
    private let heard = Mutex<[HeardEvent]>([])

    var events: [HeardEvent] { heard.withLock { $0 } }

    /// The events of one request, in order.
    func events(for id: String) -> [HeardEvent] { events.filter { $0.requestID == id } }

    func names(for id: String) -> [String] { events(for: id).map(\.name) }

    private func add(_ event: HeardEvent) { heard.withLock { $0.append(event) } }

    func serverDidStart(_ server: LitServerEvent) { add(HeardEvent(name: "serverDidStart", ports: server.ports)) }
    func serverWillStop(_ server: LitServerEvent) { add(HeardEvent(name: "serverWillStop", ports: server.ports)) }
    func serverDidStop(_ server: LitServerEvent) { add(HeardEvent(name: "serverDidStop", ports: server.ports)) }
    func requestReceived(_ request: RequestContext) {
        add(HeardEvent(name: "requestReceived", requestID: request.requestID, path: request.path))
    }
    func willDecodeRequest(_ request: RequestContext) {
        add(HeardEvent(name: "willDecodeRequest", requestID: request.requestID))
    }
    func didDecodeRequest(_ request: RequestContext, _ stage: LitStageTiming) {
        add(stageEvent("didDecodeRequest", request, stage))
    }
    func willPredict(_ request: RequestContext, batchSize: Int) {
        add(HeardEvent(name: "willPredict", requestID: request.requestID, batchSize: batchSize))
    }
    func didPredict(_ request: RequestContext, _ stage: LitStageTiming) {
        add(stageEvent("didPredict", request, stage))
    }
    func willEncodeResponse(_ request: RequestContext) {
        add(HeardEvent(name: "willEncodeResponse", requestID: request.requestID))
    }
    func didEncodeResponse(_ request: RequestContext, _ stage: LitStageTiming) {
        add(stageEvent("didEncodeResponse", request, stage))
    }
    func responseSent(_ response: LitResponseEvent) {
        add(
            HeardEvent(
                name: "responseSent",
                requestID: response.requestID,
                status: response.status,
                path: response.path,
                latency: response.latency,
                queueWait: response.queueWait,
                hasRequest: response.request != nil
            )
        )
    }

    private func stageEvent(_ name: String, _ request: RequestContext, _ stage: LitStageTiming) -> HeardEvent {
        HeardEvent(
            name: name,
            requestID: request.requestID,
            batchSize: stage.batchSize,
            duration: stage.duration,
            failed: stage.error != nil
        )
    }
}

/// A callback whose every method throws.
struct ThrowingCallback: LitCallback {
    struct Failure: Error, CustomStringConvertible {
        var description: String { "callback exploded" }
    }
    func serverDidStart(_ server: LitServerEvent) throws { throw Failure() }
    func requestReceived(_ request: RequestContext) throws { throw Failure() }
    func willDecodeRequest(_ request: RequestContext) throws { throw Failure() }
    func didDecodeRequest(_ request: RequestContext, _ stage: LitStageTiming) throws { throw Failure() }
    func willPredict(_ request: RequestContext, batchSize: Int) throws { throw Failure() }
    func didPredict(_ request: RequestContext, _ stage: LitStageTiming) throws { throw Failure() }
    func willEncodeResponse(_ request: RequestContext) throws { throw Failure() }
    func didEncodeResponse(_ request: RequestContext, _ stage: LitStageTiming) throws { throw Failure() }
    func responseSent(_ response: LitResponseEvent) throws { throw Failure() }
}

/// Log lines kept in memory (for checking what the server logged).
final class LogStore: Sendable {
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }
    private let entries = Mutex<[Entry]>([])
    var lines: [Entry] { entries.withLock { $0 } }
    fileprivate func add(_ entry: Entry) { entries.withLock { $0.append(entry) } }

    /// A logger that writes here.
    var logger: Logger {
        Logger(label: "lituv-test-callbacks") { _ in StoreLogHandler(store: self) }
    }
}

private struct StoreLogHandler: LogHandler {
    let store: LogStore
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        store.add(
            LogStore.Entry(
                level: event.level,
                message: event.message.description,
                metadata: merged.mapValues { "\($0)" }
            )
        )
    }
}

/// The per-stage latency callback of the documentation (Docs.docc, "Callbacks and tracing"), as written there.
final class StageLatency: LitCallback {
    private let logger: Logger
    /// Stage times of the requests in flight, by request id.
    private let stages = Mutex<[String: Logger.Metadata]>([:])

    init(logger: Logger) { self.logger = logger }

    func didDecodeRequest(_ request: RequestContext, _ stage: LitStageTiming) { note("decode", stage, request) }
    func didPredict(_ request: RequestContext, _ stage: LitStageTiming) { note("predict", stage, request) }
    func didEncodeResponse(_ request: RequestContext, _ stage: LitStageTiming) { note("encode", stage, request) }

    func responseSent(_ response: LitResponseEvent) {
        guard let id = response.requestID else { return }
        var line = stages.withLock { $0.removeValue(forKey: id) } ?? [:]
        line["queue"] = "\(response.queueWait)"
        line["total"] = "\(response.latency)"
        line["status"] = "\(response.status)"
        logger.info("stages", metadata: line)
    }

    private func note(_ name: String, _ stage: LitStageTiming, _ request: RequestContext) {
        guard let id = request.requestID else { return }
        stages.withLock { $0[id, default: ["request_id": "\(id)"]][name] = "\(stage.duration)" }
    }
}

/// The events of a request that went through every stage, in order.
let everyStage = [
    "requestReceived", "willDecodeRequest", "didDecodeRequest", "willPredict", "didPredict", "willEncodeResponse",
    "didEncodeResponse", "responseSent",
]

func callbackConfiguration(_ callbacks: [any LitCallback], logger: Logger? = nil) -> LitServer.Configuration {
    var configuration = testConfiguration()
    configuration.requestIDs = true
    configuration.callbacks = callbacks
    if let logger { configuration.logger = logger }
    return configuration
}

/// `POST /predict` with `{"input": x}` and an `X-Request-Id`.
func predict(_ x: Double, id: String, on client: TestClient) throws -> TestResponse {
    try client.request("POST", "/predict", body: #"{"input":\#(x)}"#, headers: ["X-Request-Id: \(id)"])
}

@Suite("Callbacks")
struct CallbackTests {
    @Test func eventsOfOneRequestComeInStageOrderOnTheirThreads() throws {
        let recorder = EventRecorder()
        let server = try LitServer(SquareAPI(), configuration: callbackConfiguration([recorder]))
        let ports = try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            let response = try predict(3, id: "one", on: client)
            #expect(response.status == 200)
            #expect(try client.request("GET", "/health").status == 200)
            return running.ports
        }
        let events = recorder.events(for: "one")
        #expect(events.map(\.name) == everyStage)
        #expect(events.first { $0.name == "willPredict" }?.batchSize == 1)
        for event in events {
            let onLoop = ["requestReceived", "responseSent"].contains(event.name)
            #expect(event.thread.hasPrefix(onLoop ? "lituv-io" : "lituv-w"), "\(event.name) on \(event.thread)")
        }
        #expect(events.last?.status == 200)
        #expect(events.last?.hasRequest == true)
        // A request answered without an API gets its answer event only.
        let probe = recorder.events.filter { $0.path == "/health" }
        #expect(probe.map(\.name) == ["responseSent"])
        #expect(probe.first?.hasRequest == false)
        // The server's events frame everything else.
        let all = recorder.events.map(\.name)
        #expect(all.first == "serverDidStart")
        #expect(all.suffix(2) == ["serverWillStop", "serverDidStop"])
        #expect(recorder.events.first?.ports == ports)
        #expect(recorder.events.last?.ports == ports)
    }

    @Test func stageTimingsAreNonNegativeAndFitInTheRequestsLatency() throws {
        let recorder = EventRecorder()
        let server = try LitServer(SquareAPI(), configuration: callbackConfiguration([recorder]))
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            for index in 0..<5 { #expect(try predict(Double(index), id: "t\(index)", on: client).status == 200) }
        }
        for index in 0..<5 {
            let events = recorder.events(for: "t\(index)")
            let stages = events.compactMap(\.duration)
            #expect(stages.count == 3)
            #expect(stages.allSatisfy { $0 >= .zero })
            let answer = try #require(events.last)
            let latency = try #require(answer.latency)
            let queueWait = try #require(answer.queueWait)
            #expect(queueWait >= .zero && queueWait <= latency)
            #expect(stages.reduce(.zero, +) + queueWait <= latency)
        }
    }

    @Test func aBatchCallsThePredictEventsOfEachRequestWithTheBatchSize() throws {
        let recorder = EventRecorder()
        let counter = HookCounter()
        // The batch closes when it holds 3 requests (the 5 s window is only a bound).
        let server = try LitServer(
            CountingAPI(counter: counter),
            maxBatchSize: 3,
            batchTimeout: .seconds(5),
            configuration: callbackConfiguration([recorder])
        )
        try withRunningServer(server) { running in
            let clients = try sendPredictionsAtOnce(port: running.port, count: 3, idPrefix: "b")
            for client in clients { #expect(try client.readResponse().status == 200) }
        }
        #expect(counter.largestBatch.load(ordering: .relaxed) == 3)
        var predictDurations: [Duration] = []
        for index in 0..<3 {
            let events = recorder.events(for: "b\(index)")
            #expect(events.map(\.name) == everyStage)
            #expect(events.filter { $0.name.hasSuffix("Predict") }.map(\.batchSize) == [3, 3])
            predictDurations += events.filter { $0.name == "didPredict" }.compactMap(\.duration)
        }
        // One predict call for the three: one duration.
        #expect(predictDurations.count == 3 && Set(predictDurations).count == 1)
    }

    @Test func aFailedDecodeEndsTheEventsOfItsRequestOnly() throws {
        let recorder = EventRecorder()
        let server = try LitServer(
            CountingAPI(),
            maxBatchSize: 2,
            batchTimeout: .seconds(5),
            configuration: callbackConfiguration([recorder])
        )
        try withRunningServer(server) { running in
            let bad = try TestClient(port: running.port)
            let good = try TestClient(port: running.port)
            try bad.send(TestClient.format("POST", "/predict", body: #"{"input":-1}"#, headers: ["X-Request-Id: bad"]))
            try good.send(TestClient.format("POST", "/predict", body: #"{"input":2}"#, headers: ["X-Request-Id: good"]))
            #expect(try bad.readResponse().status == 422)
            #expect(try good.readResponse().status == 200)
        }
        let failed = recorder.events(for: "bad")
        #expect(failed.map(\.name) == ["requestReceived", "willDecodeRequest", "didDecodeRequest", "responseSent"])
        #expect(failed[2].failed)
        #expect(failed.last?.status == 422)
        let served = recorder.events(for: "good")
        #expect(served.map(\.name) == everyStage)
        #expect(served.first { $0.name == "willPredict" }?.batchSize == 1)
        #expect(served.allSatisfy { !$0.failed })
    }

    @Test func aThrowingCallbackIsLoggedAndNeitherFailsTheRequestNorStopsTheNextCallback() throws {
        let recorder = EventRecorder()
        let log = LogStore()
        let server = try LitServer(
            SquareAPI(),
            configuration: callbackConfiguration([ThrowingCallback(), recorder], logger: log.logger)
        )
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            let response = try predict(4, id: "boom", on: client)
            #expect(response.status == 200)
            #expect(outputValue(response) == 16)
        }
        #expect(recorder.names(for: "boom") == everyStage)
        let failures = log.lines.filter { $0.message.hasPrefix("callback ThrowingCallback.") }
        let logged = Set(failures.filter { $0.metadata["request_id"] == "boom" }.map(\.message))
        #expect(logged.count == 8)
        #expect(logged.contains("callback ThrowingCallback.didPredict failed: callback exploded"))
        #expect(failures.allSatisfy { $0.level == .error })
        #expect(
            failures.contains { $0.message == "callback ThrowingCallback.serverDidStart failed: callback exploded" }
        )
    }

    @Test func aStreamCallsTheEncodeEventsOfEachOutputInsideItsPredict() throws {
        let recorder = EventRecorder()
        let server = try LitServer(
            endpoints: [LitEndpoint(TokenStreamAPI(counter: HookCounter()))],
            configuration: callbackConfiguration([recorder])
        )
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            let response = try client.request(
                "POST",
                "/predict",
                body: #"{"count":3}"#,
                headers: ["X-Request-Id: stream"]
            )
            #expect(response.status == 200)
            #expect(response.bodyText.split(separator: "\n").count == 3)
        }
        let encode = ["willEncodeResponse", "didEncodeResponse"]
        #expect(
            recorder.names(for: "stream")
                == ["requestReceived", "willDecodeRequest", "didDecodeRequest", "willPredict"] + encode + encode
                + encode + ["didPredict", "responseSent"]
        )
    }

    @Test func anInlineEndpointCallsEveryEventOnItsLoop() throws {
        let recorder = EventRecorder()
        let server = try LitServer(
            endpoints: [LitEndpoint(SquareAPI(), runsInline: true)],
            configuration: callbackConfiguration([recorder])
        )
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            #expect(try predict(5, id: "inline", on: client).status == 200)
        }
        let events = recorder.events(for: "inline")
        #expect(events.map(\.name) == everyStage)
        #expect(events.allSatisfy { $0.thread.hasPrefix("lituv-io") })
        #expect(events.last?.queueWait == .zero)
    }

    @Test func theDocumentedStageLatencyCallbackLogsOneLinePerRequest() throws {
        let log = LogStore()
        let server = try LitServer(
            SquareAPI(),
            configuration: callbackConfiguration([StageLatency(logger: log.logger)])
        )
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            #expect(try predict(6, id: "doc", on: client).status == 200)
        }
        let lines = log.lines.filter { $0.message == "stages" }
        #expect(lines.count == 1)
        #expect(lines.first?.metadata["request_id"] == "doc")
        #expect(lines.first?.metadata["status"] == "200")
        #expect(
            Set(lines.first?.metadata.keys.map { $0 } ?? [])
                == ["request_id", "decode", "predict", "encode", "queue", "total", "status"]
        )
    }

    @Test func aServerWithoutCallbacksOrTracerObservesNothing() throws {
        let server = try LitServer(SquareAPI(), configuration: testConfiguration())
        try withRunningServer(server) { running in
            #expect(!running.isObserved)
            #expect(!running.tracesRequests)
            let client = try TestClient(port: running.port)
            #expect(try predict(2, id: "plain", on: client).status == 200)
        }
    }
}
