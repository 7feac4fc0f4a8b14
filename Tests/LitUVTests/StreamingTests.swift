import Foundation
import Synchronization
import Testing

@testable import LitUV

/// Reads NDJSON lines from a chunked response.
func ndjsonLines(_ response: TestResponse) -> [String] {
    response.bodyText.split(separator: "\n").map(String.init)
}

@Suite("Streaming responses")
struct StreamingTests {
    @Test func tokensArriveAsNDJSONLinesOverChunkedEncoding() throws {
        let server = try LitServer(
            endpoints: [LitEndpoint(TokenStreamAPI(counter: HookCounter()), path: "/stream")],
            configuration: testConfiguration()
        )
        try withRunningServer(server) { running in
            let response = try TestClient(port: running.port).request("POST", "/stream", body: #"{"count": 5}"#)
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == "application/x-ndjson")
            #expect(response.header("Transfer-Encoding") == "chunked")
            #expect(ndjsonLines(response) == (0..<5).map { #"{"token":"t\#($0)","index":\#($0)}"# })
        }
    }

    @Test func theConnectionIsReusableAfterAStream() throws {
        let server = try LitServer(
            endpoints: [LitEndpoint(TokenStreamAPI(counter: HookCounter()), path: "/stream")],
            configuration: testConfiguration()
        )
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            for count in [3, 0, 2] {
                let response = try client.request("POST", "/stream", body: #"{"count": \#(count)}"#)
                #expect(ndjsonLines(response).count == count)
            }
            #expect(try client.request("GET", "/health").status == 200)
        }
    }

    @Test func anErrorBeforeTheFirstTokenIsAPlainHTTPError() throws {
        let server = try LitServer(
            endpoints: [LitEndpoint(TokenStreamAPI(counter: HookCounter(), failBeforeFirst: true), path: "/stream")],
            configuration: testConfiguration()
        )
        try withRunningServer(server) { running in
            let response = try TestClient(port: running.port).request("POST", "/stream", body: #"{"count": 5}"#)
            #expect(response.status == 409)
            #expect(response.bodyText == #"{"detail":"no tokens for you"}"#)
            let invalid = try TestClient(port: running.port).request("POST", "/stream", body: #"{"count": -1}"#)
            #expect(invalid.status == 422)
            let malformed = try TestClient(port: running.port).request("POST", "/stream", body: #"{"count": "#)
            #expect(malformed.status == 400)
        }
    }

    @Test func anErrorMidStreamEndsWithAnErrorLineAndACloseNeverACleanEnd() throws {
        let server = try LitServer(
            endpoints: [LitEndpoint(TokenStreamAPI(counter: HookCounter(), failAfter: 2), path: "/stream")],
            configuration: testConfiguration()
        )
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            try client.send(TestClient.format("POST", "/stream", body: #"{"count": 5}"#))
            let raw = readUntilClosed(client)
            #expect(raw.hasPrefix("HTTP/1.1 200 OK"))
            #expect(raw.contains(#"{"token":"t1","index":1}"#))
            #expect(raw.contains(#"{"error":"model exploded"}"#))
            #expect(!raw.hasSuffix("0\r\n\r\n"), "no terminating chunk: the client must see the failure")
        }
    }

    @Test func aDeadlineMidStreamEndsWithATimeoutLine() throws {
        let server = try LitServer(
            endpoints: [
                LitEndpoint(
                    TokenStreamAPI(counter: HookCounter(), delayAfterFirst: .milliseconds(800)),
                    path: "/stream"
                )
            ],
            configuration: testConfiguration(timeout: .milliseconds(250))
        )
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            let start = ContinuousClock.now
            try client.send(TestClient.format("POST", "/stream", body: #"{"count": 3}"#))
            let raw = readUntilClosed(client)
            #expect(ContinuousClock.now - start < .milliseconds(700))
            #expect(raw.contains(#"{"token":"t0","index":0}"#))
            #expect(raw.contains(#"{"error":"Request timed out"}"#))
            #expect(!raw.contains("t2"))
        }
    }

    @Test func aClientThatDisconnectsStopsPredictEarly() throws {
        let counter = HookCounter()
        let server = try LitServer(
            endpoints: [LitEndpoint(TokenStreamAPI(counter: counter), path: "/stream")],
            configuration: testConfiguration()
        )
        try withRunningServer(server) { running in
            do {
                let client = try TestClient(port: running.port)
                try client.send(TestClient.format("POST", "/stream", body: #"{"count": 10000000, "size": 100}"#))
                _ = try client.readResponse(head: true)
                usleep(50_000)
            }  // closed while the model still has millions of tokens to go
            let deadline = ContinuousClock.now + .seconds(10)
            while running.inFlightCount > 0 && ContinuousClock.now < deadline { usleep(10_000) }
            #expect(running.inFlightCount == 0, "predict stopped")
            #expect(counter.predictedInputs.load(ordering: .relaxed) < 10_000_000)
        }
    }

    @Test func aSlowReaderMakesTheModelWaitInsteadOfBuffering() throws {
        let counter = HookCounter()
        var endpoint = LitEndpoint(TokenStreamAPI(counter: counter), path: "/stream")
        endpoint.maxQueuedStreamBytes = 64 * 1024
        let server = try LitServer(endpoints: [endpoint], configuration: testConfiguration())
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            let tokens = 20_000
            try client.send(TestClient.format("POST", "/stream", body: #"{"count": \#(tokens), "size": 4000}"#))
            // Production must stop (the kernel's buffers fill, then the 64 KiB credit) well before the end.
            var last = -1
            var paused = false
            for _ in 0..<50 {
                usleep(200_000)
                let now = counter.predictedInputs.load(ordering: .relaxed)
                if now == last {
                    paused = true
                    break
                }
                last = now
            }
            #expect(paused, "the model is paused while the client does not read (at \(last) tokens)")
            #expect(last < tokens / 2, "only kernel buffers plus 64 KiB were produced ahead: \(last) tokens")
            let response = try client.readResponse()
            #expect(ndjsonLines(response).count == tokens)
        }
    }

    @Test func aClientThatStopsReadingFailsTheStreamAfterTheStallTimeout() throws {
        let counter = HookCounter()
        var endpoint = LitEndpoint(TokenStreamAPI(counter: counter), path: "/stream")
        endpoint.maxQueuedStreamBytes = 64 * 1024
        endpoint.streamStallTimeout = .milliseconds(300)
        let server = try LitServer(endpoints: [endpoint], configuration: testConfiguration())
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            let tokens = 20_000
            try client.send(TestClient.format("POST", "/stream", body: #"{"count": \#(tokens), "size": 4000}"#))
            // The model fills the kernel's buffers and the 64 KiB credit, waits 300 ms for a reader, then gives up.
            let deadline = ContinuousClock.now + .seconds(10)
            usleep(100_000)
            while running.inFlightCount > 0 && ContinuousClock.now < deadline { usleep(10_000) }
            #expect(running.inFlightCount == 0, "the stalled stream must fail and settle")
            let produced = counter.predictedInputs.load(ordering: .relaxed)
            #expect(produced < tokens / 2, "production stopped while nobody read: \(produced) tokens")
            // Reading now drains what was queued; the stream ends with the error line and a close, never cleanly.
            client.setTimeout(10)
            let text = String(decoding: try client.readUntilClosed(), as: UTF8.self)
            #expect(text.hasPrefix("HTTP/1.1 200 OK"))
            #expect(text.contains(#"{"error":"Client is not reading the stream"}"#))
            #expect(!text.hasSuffix("0\r\n\r\n"), "no terminating chunk after a failure")
        }
    }

    @Test func batchedStreamsEmitOneTokenPerRequestPerStep() throws {
        let counter = HookCounter()
        let server = try LitServer(
            endpoints: [
                LitEndpoint(
                    StepwiseStreamAPI(counter: counter),
                    path: "/stream",
                    maxBatchSize: 4,
                    batchTimeout: .milliseconds(100)
                )
            ],
            configuration: testConfiguration()
        )
        try withRunningServer(server) { running in
            let clients = try (1...4).map { _ in try TestClient(port: running.port) }
            for (index, client) in clients.enumerated() {
                try client.send(TestClient.format("POST", "/stream", body: #"{"count": \#(index + 2)}"#))
            }
            for (index, client) in clients.enumerated() {
                let count = index + 2
                let lines = ndjsonLines(try client.readResponse())
                #expect(lines == (0..<count).map { #"{"token":"r\#(count)s\#($0)","index":\#($0)}"# })
            }
            #expect(counter.largestBatch.load(ordering: .relaxed) > 1)
        }
    }

    @Test func curlStreamsNDJSON() throws {
        let server = try LitServer(
            endpoints: [LitEndpoint(TokenStreamAPI(counter: HookCounter()), path: "/stream")],
            configuration: testConfiguration()
        )
        try withRunningServer(server) { running in
            let curl = Process()
            curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            curl.arguments = ["-sN", "-X", "POST", "http://127.0.0.1:\(running.port)/stream", "-d", #"{"count": 3}"#]
            let out = Pipe()
            curl.standardOutput = out
            try curl.run()
            curl.waitUntilExit()
            #expect(curl.terminationStatus == 0)
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(text == (0..<3).map { #"{"token":"t\#($0)","index":\#($0)}"# + "\n" }.joined())
        }
    }

    @Test func http10ClientsGetTheStreamUntilClose() throws {
        let server = try LitServer(
            endpoints: [LitEndpoint(TokenStreamAPI(counter: HookCounter()), path: "/stream")],
            configuration: testConfiguration()
        )
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            let body = #"{"count": 2}"#
            try client.send("POST /stream HTTP/1.0\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
            let raw = readUntilClosed(client)
            #expect(!raw.contains("chunked"))
            #expect(raw.hasSuffix(#"{"token":"t1","index":1}"# + "\n"))
        }
    }
}

/// Everything the server sends until it closes the connection, as text.
func readUntilClosed(_ client: TestClient, timeout: Double = 5) -> String {
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        let n = chunk.withUnsafeMutableBytes { recv(client.fd, $0.baseAddress!, 65536, 0) }
        if n <= 0 { break }
        bytes += chunk[0..<n]
    }
    return String(decoding: bytes, as: UTF8.self)
}
