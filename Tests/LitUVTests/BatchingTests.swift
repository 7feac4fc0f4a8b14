import Foundation
import Synchronization
import Testing

@testable import LitUV

func predictBody(_ input: Double) -> String { #"{"input": \#(input)}"# }

/// Runs `count` requests concurrently, each on its own connection; returns (input, response) pairs.
func concurrentPredictions(port: Int, count: Int, path: String = "/predict") throws -> [(Double, TestResponse)] {
    let results = Locked<[(Double, TestResponse)]>([])
    let errors = Locked<[String]>([])
    let threads = (0..<count).map { index in
        Thread {
            do {
                let client = try TestClient(port: port)
                let response = try client.request("POST", path, body: predictBody(Double(index)))
                results.withLock { $0.append((Double(index), response)) }
            } catch {
                errors.withLock { $0.append("\(index): \(error)") }
            }
        }
    }
    for thread in threads { thread.start() }
    let deadline = Date().addingTimeInterval(60)
    while results.withLock({ $0.count }) + errors.withLock({ $0.count }) < count && Date() < deadline { usleep(1_000) }
    let failures = errors.withLock { $0 }
    #expect(failures.isEmpty, "client errors: \(failures)")
    return results.withLock { $0 }
}

@Suite("Dynamic batching, timeouts, cancellation, backpressure")
struct BatchingTests {
    @Test func hundredConcurrentRequestsAreEachAnsweredWithTheirOwnSquareInBatches() throws {
        let counter = HookCounter()
        let server = try LitServer(
            CountingAPI(counter: counter, delay: .milliseconds(5)),
            maxBatchSize: 8,
            batchTimeout: .milliseconds(20),
            workersPerDevice: 2,
            configuration: testConfiguration()
        )
        try withRunningServer(server) { running in
            let results = try concurrentPredictions(port: running.port, count: 100)
            #expect(results.count == 100)
            for (input, response) in results {
                #expect(response.status == 200)
                #expect(outputValue(response) == input * input, "\(input) → \(response.bodyText)")
            }
            #expect(counter.largestBatch.load(ordering: .relaxed) > 1, "batches of more than one formed")
            #expect(counter.largestBatch.load(ordering: .relaxed) <= 8)
            #expect(counter.predictedInputs.load(ordering: .relaxed) == 100)
            #expect(running.statistics[0].largestBatch > 1)
        }
    }

    @Test func aLoneRequestWaitsForTheBatchWindowAndNoLonger() throws {
        let server = try LitServer(
            SquareAPI(),
            maxBatchSize: 8,
            batchTimeout: .milliseconds(50),
            configuration: testConfiguration()
        )
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            _ = try client.request("POST", "/predict", body: predictBody(1))  // warm up
            let start = ContinuousClock.now
            let response = try client.request("POST", "/predict", body: predictBody(3))
            let elapsed = ContinuousClock.now - start
            #expect(response.status == 200)
            #expect(elapsed >= .milliseconds(45), "the window waited: \(elapsed)")
            #expect(elapsed < .milliseconds(300), "the window closed on time: \(elapsed)")
        }
    }

    @Test func zeroBatchTimeoutTakesWhatIsQueuedWithoutWaiting() throws {
        let counter = HookCounter()
        let server = try LitServer(
            CountingAPI(counter: counter, delay: .milliseconds(100)),
            maxBatchSize: 16,
            batchTimeout: .zero,
            configuration: testConfiguration()
        )
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            let start = ContinuousClock.now
            #expect(try client.request("POST", "/predict", body: predictBody(2)).status == 200)
            #expect(ContinuousClock.now - start < .milliseconds(400))
            // While one batch runs, the next requests queue up and go together.
            let results = try concurrentPredictions(port: running.port, count: 10)
            #expect(results.allSatisfy { $0.1.status == 200 })
            #expect(counter.largestBatch.load(ordering: .relaxed) > 1)
        }
    }

    @Test func aRequestStillQueuedAtItsDeadlineGets504AndNeverReachesPredict() throws {
        let counter = HookCounter()
        let server = try LitServer(
            CountingAPI(counter: counter, delay: .milliseconds(600)),
            configuration: testConfiguration(timeout: .milliseconds(250))
        )
        try withRunningServer(server) { running in
            let busy = try TestClient(port: running.port)
            try busy.send(TestClient.format("POST", "/predict", body: predictBody(1)))
            usleep(50_000)
            let queued = try TestClient(port: running.port)
            let start = ContinuousClock.now
            let response = try queued.request("POST", "/predict", body: predictBody(2))
            let elapsed = ContinuousClock.now - start
            #expect(response.status == 504)
            #expect(response.bodyText == #"{"detail":"Request timed out"}"#)
            #expect(elapsed < .milliseconds(550), "answered at the deadline, not after predict: \(elapsed)")
            // The running one also passed its deadline while predicting: 504 at its deadline.
            #expect(try busy.readResponse().status == 504)
            usleep(700_000)
            #expect(counter.predictedInputs.load(ordering: .relaxed) == 1, "the queued request never reached predict")
            #expect(running.statistics[0].skippedCount == 1)
            #expect(running.inFlightCount == 0)
        }
    }

    @Test func aRunningPredictionPastItsDeadlineGets504AndTheLateResultIsDropped() throws {
        let counter = HookCounter()
        let server = try LitServer(
            CountingAPI(counter: counter, delay: .milliseconds(500)),
            configuration: testConfiguration(timeout: .milliseconds(150))
        )
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            let start = ContinuousClock.now
            let response = try client.request("POST", "/predict", body: predictBody(2))
            #expect(response.status == 504)
            #expect(ContinuousClock.now - start < .milliseconds(450))
            usleep(500_000)
            // The same connection keeps working and the late result did not leak into it.
            let health = try client.request("GET", "/health")
            #expect(health.status == 200)
            #expect(health.bodyText == "ok")
        }
    }

    @Test func batchSizeMismatchFailsEveryRequestOfThatBatch() throws {
        let counter = HookCounter()
        let server = try LitServer(
            CountingAPI(counter: counter, failure: .mismatch),
            maxBatchSize: 4,
            batchTimeout: .milliseconds(30),
            configuration: testConfiguration()
        )
        try withRunningServer(server) { running in
            let results = try concurrentPredictions(port: running.port, count: 6)
            for (_, response) in results {
                #expect(response.status == 500)
                #expect(response.bodyText == #"{"detail":"Batch size mismatch"}"#)
            }
        }
    }

    @Test func anHTTPErrorForABatchGoesToEveryRequestOfIt() throws {
        let counter = HookCounter()
        let server = try LitServer(
            CountingAPI(counter: counter, failure: .httpError),
            maxBatchSize: 4,
            batchTimeout: .milliseconds(30),
            configuration: testConfiguration()
        )
        try withRunningServer(server) { running in
            let results = try concurrentPredictions(port: running.port, count: 4)
            for (_, response) in results {
                #expect(response.status == 418)
                #expect(response.bodyText == #"{"detail":"teapot batch"}"#)
            }
        }
    }

    @Test func otherErrorsAre500WithoutLeakingTheMessage() throws {
        let server = try LitServer(
            CountingAPI(counter: HookCounter(), failure: .internalError),
            configuration: testConfiguration()
        )
        try withRunningServer(server) { running in
            let response = try TestClient(port: running.port).request("POST", "/predict", body: predictBody(2))
            #expect(response.status == 500)
            #expect(response.bodyText == #"{"detail":"Internal server error"}"#)
        }
    }

    @Test func aDecodeErrorFailsOnlyItsOwnRequest() throws {
        let server = try LitServer(
            CountingAPI(counter: HookCounter()),
            maxBatchSize: 4,
            batchTimeout: .milliseconds(50),
            configuration: testConfiguration()
        )
        try withRunningServer(server) { running in
            let good = try TestClient(port: running.port)
            let bad = try TestClient(port: running.port)
            try good.send(TestClient.format("POST", "/predict", body: predictBody(3)))
            try bad.send(TestClient.format("POST", "/predict", body: predictBody(-1)))
            let goodResponse = try good.readResponse()
            let badResponse = try bad.readResponse()
            #expect(goodResponse.status == 200)
            #expect(outputValue(goodResponse) == 9)
            #expect(badResponse.status == 422)
            #expect(badResponse.bodyText == #"{"detail":"input must not be negative"}"#)
        }
    }

    @Test func decodeErrorsInsideABatchLeaveEveryOtherAnswerWithItsOwnRequest() throws {
        let counter = HookCounter()
        let server = try LitServer(
            CountingAPI(counter: counter),
            maxBatchSize: 8,
            batchTimeout: .milliseconds(100),
            configuration: testConfiguration(ioThreads: 1)
        )
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            let inputs: [Double] = [2, -1, 3, -1, -1, 4, 5, -1]
            try client.send(inputs.map { TestClient.format("POST", "/predict", body: predictBody($0)) }.joined())
            for input in inputs {
                let response = try client.readResponse()
                if input < 0 {
                    #expect(response.status == 422)
                } else {
                    #expect(response.status == 200)
                    #expect(outputValue(response) == input * input)
                }
            }
            #expect(counter.predictedInputs.load(ordering: .relaxed) == 4)
        }
    }

    @Test func aFullQueueAnswers503WithRetryAfterAtOnce() throws {
        let server = try LitServer(
            CountingAPI(counter: HookCounter(), delay: .milliseconds(400)),
            configuration: testConfiguration(maxQueueDepth: 2)
        )
        try withRunningServer(server) { running in
            let running1 = try TestClient(port: running.port)
            try running1.send(TestClient.format("POST", "/predict", body: predictBody(1)))
            usleep(80_000)  // taken by the worker
            let queued = try (0..<2).map { _ in try TestClient(port: running.port) }
            for client in queued { try client.send(TestClient.format("POST", "/predict", body: predictBody(2))) }
            usleep(50_000)
            let start = ContinuousClock.now
            let rejected = try TestClient(port: running.port).request("POST", "/predict", body: predictBody(3))
            #expect(rejected.status == 503)
            #expect(rejected.header("Retry-After") == "1")
            #expect(rejected.bodyText.contains("queue is full"))
            #expect(ContinuousClock.now - start < .milliseconds(200))
            #expect(try running1.readResponse().status == 200)
            for client in queued { #expect(try client.readResponse().status == 200) }
        }
    }

    @Test func aClientThatDisconnectsHasItsQueuedRequestDroppedBeforePredict() throws {
        let counter = HookCounter()
        let server = try LitServer(
            CountingAPI(counter: counter, delay: .milliseconds(300)),
            configuration: testConfiguration()
        )
        try withRunningServer(server) { running in
            let busy = try TestClient(port: running.port)
            try busy.send(TestClient.format("POST", "/predict", body: predictBody(1)))
            usleep(50_000)
            do {
                let leaving = try TestClient(port: running.port)
                try leaving.send(TestClient.format("POST", "/predict", body: predictBody(2)))
                usleep(30_000)
            }  // closed here
            #expect(try busy.readResponse().status == 200)
            usleep(400_000)
            #expect(counter.predictedInputs.load(ordering: .relaxed) == 1)
            #expect(running.statistics[0].skippedCount == 1)
            #expect(running.inFlightCount == 0)
        }
    }

    @Test func twoAPIsWithDifferentSettingsServeSideBySide() throws {
        let a = HookCounter()
        let b = HookCounter()
        let server = try LitServer(
            endpoints: [
                LitEndpoint(CountingAPI(counter: a), path: "/predict", maxBatchSize: 1, workersPerDevice: 1),
                LitEndpoint(
                    CountingAPI(counter: b, delay: .milliseconds(5)),
                    path: "/v2/predict",
                    maxBatchSize: 8,
                    batchTimeout: .milliseconds(20),
                    workersPerDevice: 3
                ),
            ],
            configuration: testConfiguration()
        )
        try withRunningServer(server) { running in
            let one = try concurrentPredictions(port: running.port, count: 20, path: "/predict")
            let two = try concurrentPredictions(port: running.port, count: 20, path: "/v2/predict")
            #expect(one.allSatisfy { outputValue($0.1) == $0.0 * $0.0 })
            #expect(two.allSatisfy { outputValue($0.1) == $0.0 * $0.0 })
            #expect(a.largestBatch.load(ordering: .relaxed) == 1)
            #expect(a.setups.load(ordering: .relaxed) == 1)
            #expect(b.setups.load(ordering: .relaxed) == 3)
            let info = try TestClient(port: running.port).request("GET", "/info")
            #expect(info.bodyText.contains("/v2/predict"))
            #expect(info.bodyText.contains(#""max_batch_size":8"#))
        }
        #expect(a.teardowns.load(ordering: .relaxed) == 1)
        #expect(b.teardowns.load(ordering: .relaxed) == 3, "teardown runs once per worker")
    }

    @Test func healthIs503WhileAnyAPISaysUnhealthy() throws {
        let server = try LitServer(
            endpoints: [
                LitEndpoint(CountingAPI(counter: HookCounter()), path: "/a"),
                LitEndpoint(CountingAPI(counter: HookCounter(), failure: .unhealthy), path: "/b"),
            ],
            configuration: testConfiguration()
        )
        try withRunningServer(server, waitForReady: false) { running in
            usleep(200_000)
            let response = try TestClient(port: running.port).request("GET", "/health")
            #expect(response.status == 503)
            #expect(response.bodyText == "not ready")
        }
    }

    @Test func aSetupThatThrowsMakesWaitThrowAndHealthNeverSaysOk() throws {
        let counter = HookCounter()
        let server = try LitServer(CountingAPI(counter: counter, failure: .setup), configuration: testConfiguration())
        let running = try server.start(host: "127.0.0.1", port: 0)
        if let client = try? TestClient(port: running.port), let health = try? client.request("GET", "/health") {
            #expect(health.status == 503)
        }
        do {
            try running.wait()
            Issue.record("wait() must throw when setup fails")
        } catch {
            #expect(error.code == .setupFailed)
            #expect(error.message.contains("weights not found"))
        }
        #expect(running.loopCloseStatuses.allSatisfy { $0 == 0 })
    }

    @Test(arguments: [
        ("maxBatchSize", LitEndpoint(SquareAPI(), maxBatchSize: 0)),
        ("batchTimeout", LitEndpoint(SquareAPI(), maxBatchSize: 2, batchTimeout: .seconds(31))),
        ("workersPerDevice", LitEndpoint(SquareAPI(), workersPerDevice: 0)),
        ("healthcheckPath", LitEndpoint(SquareAPI(), path: "/health")),
    ])
    func invalidOptionsAreAStartupErrorNamingTheOption(option: String, endpoint: LitEndpoint) {
        do {
            _ = try LitServer(endpoints: [endpoint], configuration: testConfiguration())
            Issue.record("expected an error for \(option)")
        } catch {
            #expect(error.code == .invalidConfiguration)
            #expect(error.message.contains(option), "\(error.message)")
        }
    }

    @Test func duplicatePathsAreAStartupError() {
        #expect(throws: LitServerError.self) {
            _ = try LitServer(
                endpoints: [LitEndpoint(SquareAPI(), path: "/p"), LitEndpoint(SquareAPI(), path: "/p")],
                configuration: testConfiguration()
            )
        }
    }
}
