import Foundation
import Synchronization
import Testing

@testable import LitUV

#if canImport(Glibc)
import Glibc
#endif

/// Receives from `client`'s socket until the text received contains `marker` (or the client's timeout passes).
/// - Returns: The text received.
private func receive(_ client: TestClient, until marker: String) -> String {
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while !String(decoding: bytes, as: UTF8.self).contains(marker) {
        let n = chunk.withUnsafeMutableBytes { recv(client.fd, $0.baseAddress!, 65536, 0) }
        if n <= 0 { break }
        bytes += chunk[0..<n]
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// The expected NDJSON lines of request `id` with `count` tokens.
private func tokens(_ id: Int, _ count: Int) -> [String] {
    (1...count).map { #"{"token":"r\#(id)s\#($0)"}"# }
}

/// Polls `condition` every millisecond for at most 10 s (no timing is asserted: the deadline only ends a hang).
private func eventually(_ condition: () -> Bool) -> Bool {
    let deadline = ContinuousClock.now + .seconds(10)
    while !condition() {
        if ContinuousClock.now > deadline { return false }
        usleep(1_000)
    }
    return true
}

/// The value of `lituv_active_sequences` for `/predict` on `/metrics`.
private func activeSequences(port: Int) throws -> Double? {
    let text = try TestClient(port: port).request("GET", "/metrics").bodyText
    for line in text.split(separator: "\n") where line.hasPrefix(#"lituv_active_sequences{path="/predict"} "#) {
        return Double(line.split(separator: " ").last ?? "")
    }
    return nil
}

@Suite("Continuous batching")
struct ContinuousBatchingTests {
    @Test func eachRequestStreamsExactlyItsOwnTokens() throws {
        let recorder = GenerationRecorder()
        let server = try LitServer(
            endpoints: [LitEndpoint(generative: CountingGenerativeAPI(recorder: recorder))],
            configuration: testConfiguration()
        )
        try withRunningServer(server) { running in
            let response = try TestClient(port: running.port).request("POST", "/predict", body: #"{"id":1,"count":4}"#)
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == "application/x-ndjson")
            #expect(ndjsonLines(response) == tokens(1, 4))
            #expect(eventually { recorder.active == 0 }, "the finished sequence was released")
        }
    }

    @Test func aSequenceAdmittedMidBatchGetsExactlyItsOwnTokensAndTheOthersGoOn() throws {
        let recorder = GenerationRecorder()
        let api = CountingGenerativeAPI(recorder: recorder, stepDelay: .microseconds(500))
        let server = try LitServer(endpoints: [LitEndpoint(generative: api)], configuration: testConfiguration())
        try withRunningServer(server) { running in
            let long = try TestClient(port: running.port)
            try long.send(TestClient.format("POST", "/predict", body: #"{"id":1,"count":400}"#))
            _ = receive(long, until: "r1s3")  // the batch is running
            // Two requests join the running batch, finish, and leave while request 1 goes on.
            let joiners = try (2...3).map { _ in try TestClient(port: running.port) }
            for (offset, client) in joiners.enumerated() {
                try client.send(TestClient.format("POST", "/predict", body: #"{"id":\#(offset + 2),"count":5}"#))
            }
            for (offset, client) in joiners.enumerated() {
                #expect(ndjsonLines(try client.readResponse()) == tokens(offset + 2, 5))
            }
            #expect(recorder.produced(1) < 400, "request 1 was still running while 2 and 3 joined and left")
            #expect(recorder.largestStep >= 2, "the joiners were stepped together with request 1")
        }
    }

    @Test func aLongRequestsTokensStayInOrderWhileOthersJoinAndLeave() throws {
        let recorder = GenerationRecorder()
        let api = CountingGenerativeAPI(recorder: recorder, stepDelay: .microseconds(200))
        let server = try LitServer(endpoints: [LitEndpoint(generative: api)], configuration: testConfiguration())
        try withRunningServer(server) { running in
            let long = try TestClient(port: running.port)
            try long.send(TestClient.format("POST", "/predict", body: #"{"id":1,"count":300}"#))
            for id in 2...6 {
                let response = try TestClient(port: running.port).request(
                    "POST",
                    "/predict",
                    body: #"{"id":\#(id),"count":\#(id)}"#
                )
                #expect(ndjsonLines(response) == tokens(id, id))
            }
            #expect(ndjsonLines(try long.readResponse()) == tokens(1, 300))
        }
    }

    @Test func theBatchNeverHoldsMoreThanMaxActiveSequences() throws {
        let recorder = GenerationRecorder()
        let api = CountingGenerativeAPI(recorder: recorder, maxActive: 3, stepDelay: .microseconds(200))
        let server = try LitServer(endpoints: [LitEndpoint(generative: api)], configuration: testConfiguration())
        try withRunningServer(server) { running in
            let clients = try (1...10).map { _ in try TestClient(port: running.port) }
            for (index, client) in clients.enumerated() {
                try client.send(TestClient.format("POST", "/predict", body: #"{"id":\#(index),"count":20}"#))
            }
            for (index, client) in clients.enumerated() {
                #expect(ndjsonLines(try client.readResponse()) == tokens(index, 20))
            }
            #expect(recorder.largestActive <= 3)
            #expect(recorder.largestStep <= 3)
            #expect(recorder.released.count == 10)
        }
    }

    @Test func aClientThatLeavesFreesItsSlotForAWaitingRequest() throws {
        let recorder = GenerationRecorder()
        let api = CountingGenerativeAPI(recorder: recorder, maxActive: 1, stepDelay: .microseconds(200))
        let server = try LitServer(endpoints: [LitEndpoint(generative: api)], configuration: testConfiguration())
        try withRunningServer(server) { running in
            do {
                let leaving = try TestClient(port: running.port)
                try leaving.send(TestClient.format("POST", "/predict", body: #"{"id":1,"count":-1}"#))
                _ = receive(leaving, until: "r1s3")
                #expect(try activeSequences(port: running.port) == 1)
            }  // closed: request 1 never ends by itself, and it holds the only slot
            let response = try TestClient(port: running.port).request("POST", "/predict", body: #"{"id":2,"count":3}"#)
            #expect(ndjsonLines(response) == tokens(2, 3))
            #expect(recorder.released.first == 1, "the sequence of the client that left was released")
            #expect(eventually { (try? activeSequences(port: running.port)) == 0 })
            #expect(eventually { running.inFlightCount == 0 })
        }
    }

    @Test func aDeadlineEndsASequenceWithTheTimeoutLine() throws {
        let recorder = GenerationRecorder()
        let api = CountingGenerativeAPI(recorder: recorder, stepDelay: .milliseconds(1))
        let server = try LitServer(
            endpoints: [LitEndpoint(generative: api)],
            configuration: testConfiguration(timeout: .milliseconds(300))
        )
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            try client.send(TestClient.format("POST", "/predict", body: #"{"id":1,"count":-1}"#))
            let raw = readUntilClosed(client, timeout: 10)
            #expect(raw.hasPrefix("HTTP/1.1 200 OK"))
            #expect(raw.contains(#"{"token":"r1s1"}"#))
            #expect(raw.contains(#"{"error":"Request timed out"}"#))
            #expect(!raw.hasSuffix("0\r\n\r\n"), "no terminating chunk after a timeout")
            #expect(eventually { recorder.released == [1] })
            #expect(eventually { running.inFlightCount == 0 })
        }
    }

    @Test func aClientThatDoesNotReadPausesOnlyItsOwnSequence() throws {
        let recorder = GenerationRecorder()
        var endpoint = LitEndpoint(generative: CountingGenerativeAPI(recorder: recorder))
        endpoint.maxQueuedStreamBytes = 64 * 1024
        let server = try LitServer(endpoints: [endpoint], configuration: testConfiguration())
        try withRunningServer(server) { running in
            // 3,000 tokens of 4,000 bytes: far more than the kernel's buffers and the 64 KiB credit hold.
            let stalled = try TestClient(port: running.port)
            try stalled.send(TestClient.format("POST", "/predict", body: #"{"id":1,"count":3000,"size":4000}"#))
            #expect(eventually { recorder.produced(1) > 0 })
            // While request 1 is not read, others are served from start to end.
            for id in 2...4 {
                let response = try TestClient(port: running.port).request(
                    "POST",
                    "/predict",
                    body: #"{"id":\#(id),"count":50}"#
                )
                #expect(ndjsonLines(response) == tokens(id, 50))
            }
            #expect(recorder.produced(1) < 3000, "request 1 is paused while its client does not read")
            // Reading now resumes it: every token arrives, in order.
            let lines = ndjsonLines(try stalled.readResponse())
            #expect(lines.count == 3000)
            #expect(lines.last?.hasPrefix(#"{"token":"r1s3000x"#) == true)
        }
    }

    @Test func aClientThatNeverReadsFailsAfterTheStallTimeoutAndTheOthersGoOn() throws {
        let recorder = GenerationRecorder()
        var endpoint = LitEndpoint(generative: CountingGenerativeAPI(recorder: recorder))
        endpoint.maxQueuedStreamBytes = 64 * 1024
        endpoint.streamStallTimeout = .milliseconds(300)
        let server = try LitServer(endpoints: [endpoint], configuration: testConfiguration())
        try withRunningServer(server) { running in
            let stalled = try TestClient(port: running.port)
            try stalled.send(TestClient.format("POST", "/predict", body: #"{"id":1,"count":3000,"size":4000}"#))
            #expect(eventually { recorder.released == [1] }, "the stalled sequence was ended and released")
            let response = try TestClient(port: running.port).request("POST", "/predict", body: #"{"id":2,"count":5}"#)
            #expect(ndjsonLines(response) == tokens(2, 5))
            stalled.setTimeout(10)
            let text = String(decoding: try stalled.readUntilClosed(), as: UTF8.self)
            #expect(text.contains(#"{"error":"Client is not reading the stream"}"#))
            #expect(!text.hasSuffix("0\r\n\r\n"))
        }
    }

    @Test func aPrefillErrorIsAnHTTPErrorAndAStepErrorAnErrorLine() throws {
        let recorder = GenerationRecorder()
        let server = try LitServer(
            endpoints: [LitEndpoint(generative: CountingGenerativeAPI(recorder: recorder))],
            configuration: testConfiguration()
        )
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            let refused = try client.request("POST", "/predict", body: #"{"id":1,"count":3,"failPrefill":true}"#)
            #expect(refused.status == 409)
            #expect(refused.bodyText == #"{"detail":"no room for 1"}"#)
            let malformed = try client.request("POST", "/predict", body: #"{"id":"one"}"#)
            #expect(malformed.status == 400)
            let failing = try TestClient(port: running.port)
            try failing.send(TestClient.format("POST", "/predict", body: #"{"id":2,"count":5,"failAt":3}"#))
            let raw = readUntilClosed(failing, timeout: 10)
            #expect(raw.contains(#"{"token":"r2s2"}"#))
            #expect(raw.contains(#"{"error":"step exploded"}"#))
            #expect(!raw.hasSuffix("0\r\n\r\n"))
            let after = try TestClient(port: running.port).request("POST", "/predict", body: #"{"id":3,"count":2}"#)
            #expect(ndjsonLines(after) == tokens(3, 2), "the server goes on serving")
        }
    }

    @Test func metricsShowTheContinuousSeries() throws {
        let recorder = GenerationRecorder()
        let server = try LitServer(
            endpoints: [LitEndpoint(generative: CountingGenerativeAPI(recorder: recorder))],
            configuration: testConfiguration()
        )
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            _ = try client.request("POST", "/predict", body: #"{"id":1,"count":7}"#)
            let text = try client.request("GET", "/metrics").bodyText
            #expect(text.contains(#"lituv_generated_tokens_total{path="/predict"} 7"#))
            #expect(text.contains(#"lituv_waiting_sequences{path="/predict"} 0"#))
            #expect(text.contains(#"lituv_active_sequences{path="/predict"}"#))
            #expect(text.contains(#"lituv_step_duration_seconds_count{path="/predict"} 7"#))
            #expect(text.contains("# TYPE lituv_step_duration_seconds histogram"))
        }
    }

    @Test func anIdleStepLoopSleepsAndWakesOnAdmission() throws {
        let recorder = GenerationRecorder()
        let server = try LitServer(
            endpoints: [LitEndpoint(generative: CountingGenerativeAPI(recorder: recorder))],
            configuration: testConfiguration()
        )
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            for id in 1...3 {
                _ = try client.request("POST", "/predict", body: #"{"id":\#(id),"count":2}"#)
                #expect(eventually { recorder.active == 0 })
                usleep(20_000)
                #expect(recorder.steps == id * 2, "no step is taken while nothing is active")
            }
        }
    }
}

@Suite("lituv-example's tiny-lm with --continuous")
struct ContinuousExampleTests {
    @Test func tinyLMContinuousStreamsTheSameTokensAsTheStreamingPathAndAcceptsInput() throws {
        let streaming = try ExampleProcess(arguments: ["--model", "tiny-lm", "--io-threads", "1"])
        defer { stopExample(streaming) }
        let continuous = try ExampleProcess(arguments: [
            "--model", "tiny-lm", "--io-threads", "1", "--continuous", "--step-delay-ms", "1", "--max-active", "8",
        ])
        defer { stopExample(continuous) }
        let body = #"{"prompt": "Alice was", "max_tokens": 12, "seed": 3}"#
        let expected = try TestClient(port: streaming.port).request("POST", "/predict", body: body)
        let client = try TestClient(port: continuous.port)
        let answer = try client.request("POST", "/predict", body: body)
        #expect(answer.status == 200)
        #expect(answer.header("Content-Type") == "application/x-ndjson")
        #expect(ndjsonLines(answer).count == 12)
        #expect(answer.bodyText == expected.bodyText, "the step loop generates the same words")
        // LitServe's streaming examples send {"input": ...}: the same prompt, the same tokens, on both paths.
        let input = #"{"input": "Alice was", "max_tokens": 12, "seed": 3}"#
        #expect(try client.request("POST", "/predict", body: input).bodyText == expected.bodyText)
        #expect(
            try TestClient(port: streaming.port).request("POST", "/predict", body: input).bodyText == expected.bodyText
        )
        let neither = try client.request("POST", "/predict", body: #"{"text": "Alice"}"#)
        #expect(neither.status == 400)
        let invalid = try client.request("POST", "/predict", body: #"{"prompt": "x", "max_tokens": 0}"#)
        #expect(invalid.status == 422)
        let metrics = try client.request("GET", "/metrics").bodyText
        #expect(metrics.contains(#"lituv_generated_tokens_total{path="/predict"} 24"#))
    }

    @Test func tinyLMContinuousChatStreamsServerSentEvents() throws {
        let example = try ExampleProcess(arguments: [
            "--model", "tiny-lm", "--io-threads", "1", "--continuous", "--step-delay-ms", "1",
        ])
        defer { stopExample(example) }
        let response = try TestClient(port: example.port).request(
            "POST",
            "/v1/chat/completions",
            body:
                #"{"model": "tiny-lm", "stream": true, "max_tokens": 4, "messages": [{"role": "user", "content": "Down"}]}"#
        )
        #expect(response.status == 200)
        #expect(response.header("Content-Type")?.hasPrefix("text/event-stream") == true)
        let events = response.bodyText.components(separatedBy: "\n\n").filter { !$0.isEmpty }
        #expect(events.last == "data: [DONE]")
        #expect(events.dropLast().last?.contains(#""finish_reason":"length""#) == true)
        #expect(events.count == 4 + 2, "4 tokens, the finish chunk, [DONE]")
    }
}

/// Stops an example process with SIGTERM and checks it exits 0.
private func stopExample(_ example: ExampleProcess) {
    kill(example.process.processIdentifier, SIGTERM)
    #expect(example.waitForExit() == 0)
}
