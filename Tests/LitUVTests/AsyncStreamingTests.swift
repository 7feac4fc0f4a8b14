import Foundation
import Testing

@testable import LitUV

#if canImport(Glibc)
import Glibc
#endif

/// `LitAsyncStreamingAPI` end to end: NDJSON chunks from an `AsyncSequence`, errors before and after the first
/// output, cancellation reaching the task, flow control suspending the task, and batches.
@Suite struct AsyncStreamingTests {
    @Test func outputsOfAnAsyncSequenceArriveAsNDJSONLines() throws {
        let server = try LitServer(
            endpoints: [LitEndpoint(AsyncTokensAPI(), path: "/stream")],
            configuration: testConfiguration()
        )
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            for count in [5, 0, 2] {
                let response = try client.request("POST", "/stream", body: #"{"count": \#(count)}"#)
                #expect(response.status == 200)
                #expect(response.header("Content-Type") == "application/x-ndjson")
                #expect(response.header("Transfer-Encoding") == "chunked")
                #expect(ndjsonLines(response) == (0..<count).map { #"{"token":"t\#($0)"}"# })
            }
        }
    }

    @Test func anErrorBeforeTheFirstOutputIsAPlainHTTPErrorAndAfterItAnErrorLine() throws {
        let server = try LitServer(
            endpoints: [LitEndpoint(AsyncTokensAPI(), path: "/stream")],
            configuration: testConfiguration()
        )
        try withRunningServer(server) { running in
            let before = try TestClient(port: running.port).request("POST", "/stream", body: #"{"count": -3}"#)
            #expect(before.status == 409)
            #expect(before.bodyText == #"{"detail":"no tokens for you"}"#)
            let malformed = try TestClient(port: running.port).request("POST", "/stream", body: #"{"count": "#)
            #expect(malformed.status == 400)

            let client = try TestClient(port: running.port)
            try client.send(TestClient.format("POST", "/stream", body: #"{"count": -2}"#))
            let raw = readUntilClosed(client)
            #expect(raw.hasPrefix("HTTP/1.1 200 OK"))
            #expect(raw.contains(#"{"token":"first"}"#))
            #expect(raw.contains(#"{"error":"generator went away"}"#))
            #expect(!raw.hasSuffix("0\r\n\r\n"), "no terminating chunk: the client must see the failure")
        }
    }

    @Test func aClientThatLeavesMidStreamCancelsItsTask() throws {
        let probe = TaskProbe()
        let server = try LitServer(
            endpoints: [LitEndpoint(AsyncTokensAPI(probe: probe), path: "/stream")],
            configuration: testConfiguration()
        )
        try withRunningServer(server) { running in
            do {
                let client = try TestClient(port: running.port)
                try client.send(TestClient.format("POST", "/stream", body: #"{"count": -1}"#))
                _ = try client.readResponse(head: true)
                #expect(probe.wait(for: "started"))
            }  // closed while the model waits for its next token
            #expect(probe.wait(for: "cancelled"))
            let deadline = ContinuousClock.now + .seconds(10)
            while running.inFlightCount > 0 && ContinuousClock.now < deadline { usleep(10_000) }
            #expect(running.inFlightCount == 0, "the cancelled stream settled")
        }
        #expect(!probe.seen.contains("not cancelled"))
    }

    @Test func aSlowReaderSuspendsTheTaskInsteadOfBuffering() throws {
        let produced = Counter()
        var endpoint = LitEndpoint(AsyncTokensAPI(produced: produced), path: "/stream")
        endpoint.maxQueuedStreamBytes = 64 * 1024
        // No request deadline: 80 MB through a debug build on a busy machine may take longer than any fixed one.
        let server = try LitServer(endpoints: [endpoint], configuration: testConfiguration(timeout: nil))
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            let tokens = 20_000
            try client.send(TestClient.format("POST", "/stream", body: #"{"count": \#(tokens), "size": 4000}"#))
            // Production must stop (the kernel's buffers fill, then the 64 KiB credit) well before the end.
            var last = -1
            var paused = false
            for _ in 0..<50 {
                usleep(200_000)
                let now = produced.value
                if now == last {
                    paused = true
                    break
                }
                last = now
            }
            #expect(paused, "the model is suspended while the client does not read (at \(last) tokens)")
            #expect(last < tokens / 2, "only kernel buffers plus 64 KiB were produced ahead: \(last) tokens")
            let response = try client.readResponse()
            #expect(ndjsonLines(response).count == tokens)
        }
    }

    @Test func aClientThatStopsReadingFailsTheStreamAfterTheStallTimeout() throws {
        var endpoint = LitEndpoint(AsyncTokensAPI(), path: "/stream")
        endpoint.maxQueuedStreamBytes = 64 * 1024
        endpoint.streamStallTimeout = .milliseconds(300)
        let server = try LitServer(endpoints: [endpoint], configuration: testConfiguration())
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            try client.send(TestClient.format("POST", "/stream", body: #"{"count": 20000, "size": 4000}"#))
            let deadline = ContinuousClock.now + .seconds(10)
            usleep(100_000)
            while running.inFlightCount > 0 && ContinuousClock.now < deadline { usleep(10_000) }
            #expect(running.inFlightCount == 0, "the stalled stream must fail and settle")
            client.setTimeout(10)
            let text = String(decoding: try client.readUntilClosed(), as: UTF8.self)
            #expect(text.contains(#"{"error":"Client is not reading the stream"}"#))
            #expect(!text.hasSuffix("0\r\n\r\n"), "no terminating chunk after a failure")
        }
    }

    @Test func aBatchOfAsyncStreamsAnswersEveryRequestWithItsOwnOutputs() throws {
        let server = try LitServer(
            endpoints: [
                LitEndpoint(AsyncTokensAPI(), path: "/stream", maxBatchSize: 3, batchTimeout: .seconds(20))
            ],
            configuration: testConfiguration()
        )
        try withRunningServer(server) { running in
            let clients = try (0..<3).map { _ in try TestClient(port: running.port) }
            for (index, client) in clients.enumerated() {
                try client.send(TestClient.format("POST", "/stream", body: #"{"count": \#(index + 1)}"#))
            }
            for (index, client) in clients.enumerated() {
                let response = try client.readResponse()
                #expect(ndjsonLines(response) == (0...index).map { #"{"token":"t\#($0)"}"# })
            }
        }
    }
}
