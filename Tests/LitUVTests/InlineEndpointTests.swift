import Foundation
import Testing

@testable import LitUV

#if canImport(Glibc)
import Glibc
#endif

@Suite("Inline endpoints (runsInline)")
struct InlineEndpointTests {
    private func server(
        _ api: RecordingSquareAPI,
        ioThreads: Int = 2,
        timeout: Duration? = .seconds(30)
    ) throws -> LitServer {
        try LitServer(
            endpoints: [LitEndpoint(api, runsInline: true)],
            configuration: testConfiguration(ioThreads: ioThreads, timeout: timeout)
        )
    }

    @Test func predictionsRunOnTheIOLoopThatReadTheRequest() throws {
        let record = RecordingSquareAPI.Record()
        try withRunningServer(try server(RecordingSquareAPI(record: record))) { running in
            for _ in 0..<4 {
                let client = try TestClient(port: running.port)
                let response = try client.request("POST", "/predict", body: #"{"input": 4.0}"#)
                #expect(response.status == 200)
                #expect(response.bodyText == #"{"output":16.0}"#)
                #expect(response.header("Content-Type") == "application/json")
            }
        }
        let threads = record.predictThreads.withLock { $0 }
        #expect(!threads.isEmpty)
        #expect(threads.allSatisfy { $0.hasPrefix("lituv-io") }, "predict ran on \(threads)")
    }

    @Test func eachLoopSetsUpItsOwnCopyBeforeStartReturns() throws {
        let record = RecordingSquareAPI.Record()
        let server = try self.server(RecordingSquareAPI(record: record), ioThreads: 3)
        try withRunningServer(server, waitForReady: false) { running in
            #expect(running.isReady, "inline copies are set up before start() returns")
            let setups = record.setups.withLock { $0 }
            #expect(setups.count == 3)
            #expect(Set(setups.map(\.thread)) == ["lituv-io0", "lituv-io1", "lituv-io2"])
            let health = try TestClient(port: running.port).request("GET", "/health")
            #expect(health.status == 200)
        }
        #expect(record.teardowns.withLock { $0 } == 3, "every copy is torn down once at shutdown")
    }

    @Test func aFailingSetupMakesStartThrowAndReleasesThePort() throws {
        let record = RecordingSquareAPI.Record()
        // A port that was free a moment ago.
        let probe = try self.server(RecordingSquareAPI(record: record)).start(host: "127.0.0.1", port: 0)
        let port = probe.port
        try probe.stop()
        let failing = try self.server(RecordingSquareAPI(record: record, failSetup: true))
        do {
            _ = try failing.start(host: "127.0.0.1", port: port)
            Issue.record("start must throw when an inline setup fails")
        } catch {
            #expect(error.code == .setupFailed)
            #expect(error.message.contains("no weights"))
        }
        // Nothing of the failed run is left behind: the port can be bound again at once.
        let healthy = try self.server(RecordingSquareAPI(record: record))
        let status = try withStartedServer(
            healthy,
            start: { try healthy.start(host: "127.0.0.1", port: port) },
            { running in try TestClient(port: running.port).request("GET", "/health").status }
        )
        #expect(status == 200)
    }

    @Test func badInputAndModelErrorsAreAnsweredAndTheLoopKeepsServing() throws {
        let record = RecordingSquareAPI.Record()
        try withRunningServer(try server(RecordingSquareAPI(record: record), ioThreads: 1)) { running in
            let client = try TestClient(port: running.port)
            let malformed = try client.request("POST", "/predict", body: #"{"input": "#)
            #expect(malformed.status == 400)
            #expect(malformed.bodyText.contains("Invalid request body"))
            let wrongType = try client.request("POST", "/predict", body: #"{"input": "four"}"#)
            #expect(wrongType.status == 400)
            let refused = try client.request("POST", "/predict", body: #"{"input": -1.0}"#)
            #expect(refused.status == 409)
            #expect(refused.bodyText == #"{"detail":"negative input"}"#)
            let fine = try client.request("POST", "/predict", body: #"{"input": 3.0}"#)
            #expect(fine.status == 200)
            #expect(fine.bodyText == #"{"output":9.0}"#)
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        let record = RecordingSquareAPI.Record()
        try withRunningServer(try server(RecordingSquareAPI(record: record), ioThreads: 1)) { running in
            let client = try TestClient(port: running.port)
            var wire = ""
            for value in 0..<20 {
                wire += TestClient.format("POST", "/predict", body: #"{"input": \#(value).0}"#)
            }
            try client.send(wire)
            for value in 0..<20 {
                let response = try client.readResponse()
                #expect(response.status == 200)
                #expect(response.bodyText == #"{"output":\#(Double(value * value))}"#)
            }
        }
    }

    @Test func anAnswerLaterThanTheTimeoutIsA504() throws {
        let record = RecordingSquareAPI.Record()
        let api = RecordingSquareAPI(record: record, predictDelay: .milliseconds(120))
        try withRunningServer(try server(api, ioThreads: 1, timeout: .milliseconds(50))) { running in
            let client = try TestClient(port: running.port)
            let response = try client.request("POST", "/predict", body: #"{"input": 2.0}"#)
            #expect(response.status == 504)
            #expect(response.bodyText == #"{"detail":"Request timed out"}"#)
        }
    }

    @Test func inlineAndWorkerEndpointsServeSideBySide() throws {
        let record = RecordingSquareAPI.Record()
        let server = try LitServer(
            endpoints: [
                LitEndpoint(RecordingSquareAPI(record: record), path: "/inline", runsInline: true),
                LitEndpoint(SquareAPI(), path: "/queued"),
            ],
            configuration: testConfiguration()
        )
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            #expect(try client.request("POST", "/inline", body: #"{"input": 5.0}"#).bodyText == #"{"output":25.0}"#)
            #expect(try client.request("POST", "/queued", body: #"{"input": 6.0}"#).bodyText == #"{"output":36.0}"#)
            let info = try client.request("GET", "/info").bodyText
            #expect(info.contains(#""path":"/inline","name":"RecordingSquareAPI""#))
            #expect(info.contains(#""workers":0,"stream":false,"runs_inline":true"#))
            #expect(info.contains(#""workers":1,"stream":false,"runs_inline":false"#))
        }
    }

    @Test func batchingOrStreamingInlineIsAConfigurationError() throws {
        let record = RecordingSquareAPI.Record()
        #expect {
            _ = try LitServer(endpoints: [
                LitEndpoint(RecordingSquareAPI(record: record), maxBatchSize: 4, runsInline: true)
            ])
        } throws: { error in
            (error as? LitServerError)?.code == .invalidConfiguration
                && (error as? LitServerError)?.message.contains("maxBatchSize must be 1") == true
        }
        var streaming = LitEndpoint(TokenStreamAPI(counter: HookCounter()))
        streaming.runsInline = true
        #expect {
            _ = try LitServer(endpoints: [streaming])
        } throws: { error in
            (error as? LitServerError)?.message.contains("streaming APIs run on predict workers") == true
        }
    }
}
