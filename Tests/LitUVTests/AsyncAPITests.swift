import Foundation
import Testing

@testable import LitUV

#if canImport(Glibc)
import Glibc
#endif

/// `LitAsyncAPI` end to end over real sockets: overlap and its bound on one worker, cancellation reaching the task,
/// errors, batches, and the request still seen by statistics.
@Suite struct AsyncAPITests {
    @Test func manyAsyncPredictionsOverlapOnOneWorkerUpToTheBound() throws {
        // Each prediction waits at the gate until 4 are in flight together: a worker that ran them one at a time
        // would never answer. 12 requests, bound 4: never more than 4 at once.
        let gate = OverlapGate(target: 4)
        var endpoint = LitEndpoint(GatedSquareAPI(gate: gate), workersPerDevice: 1)
        endpoint.maxConcurrentPredictions = 4
        let server = try LitServer(endpoints: [endpoint], configuration: testConfiguration())
        try withRunningServer(server) { running in
            let clients = try (0..<12).map { _ in try TestClient(port: running.port) }
            for (index, client) in clients.enumerated() { try client.send(predictRequest(Double(index))) }
            for (index, client) in clients.enumerated() {
                expectOutput(try client.readResponse(), Double(index * index))
            }
        }
        #expect(gate.largest == 4, "in flight at once: \(gate.largest)")
    }

    @Test func theBoundIsPerWorkerAndOneMeansOneAtATime() throws {
        // Bound 1: the gate (target 2) would never open, so it is opened by target 1; in flight never exceeds 1.
        let gate = OverlapGate(target: 1)
        let server = try LitServer(
            endpoints: [LitEndpoint(GatedSquareAPI(gate: gate), maxConcurrentPredictions: 1)],
            configuration: testConfiguration()
        )
        try withRunningServer(server) { running in
            let clients = try (0..<6).map { _ in try TestClient(port: running.port) }
            for (index, client) in clients.enumerated() { try client.send(predictRequest(Double(index))) }
            for (index, client) in clients.enumerated() {
                expectOutput(try client.readResponse(), Double(index * index))
            }
        }
        #expect(gate.largest == 1)
    }

    @Test func aBoundBelowOneIsAConfigurationError() {
        var endpoint = LitEndpoint(GatedSquareAPI(gate: OverlapGate(target: 1)))
        endpoint.maxConcurrentPredictions = 0
        #expect(throws: LitServerError.self) {
            _ = try LitServer(endpoints: [endpoint], configuration: testConfiguration())
        }
    }

    @Test func aClientThatLeavesCancelsItsTask() throws {
        let probe = TaskProbe()
        let server = try LitServer(
            endpoints: [LitEndpoint(CancellableSquareAPI(probe: probe))],
            configuration: testConfiguration()
        )
        try withRunningServer(server) { running in
            do {
                let client = try TestClient(port: running.port)
                try client.send(predictRequest(-1))
                #expect(probe.wait(for: "started"))
            }  // the client closes its connection here
            #expect(probe.wait(for: "returned"))
            // The worker still serves.
            let client = try TestClient(port: running.port)
            expectOutput(try client.request("POST", "/predict", body: #"{"input":5.0}"#), 25)
        }
        #expect(probe.seen.contains("cancellation handler"))
        #expect(probe.seen.contains("cancelled"))
        #expect(probe.seen.contains("client gone"))
    }

    @Test func aDeadlineAnswers504AndCancelsTheTaskWhoseLateAnswerIsDropped() throws {
        let probe = TaskProbe()
        let server = try LitServer(
            endpoints: [LitEndpoint(CancellableSquareAPI(probe: probe))],
            configuration: testConfiguration(timeout: .milliseconds(300))
        )
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            let timedOut = try client.request("POST", "/predict", body: #"{"input":-1.0}"#)
            #expect(expectJSONError(timedOut, status: 504) == "Request timed out")
            // The task sees the cancellation and returns 1234 anyway: that late answer never reaches the connection.
            #expect(probe.wait(for: "returned"))
            let next = try client.request("POST", "/predict", body: #"{"input":6.0}"#)
            expectOutput(next, 36)
        }
        #expect(probe.seen.contains("cancelled"))
        #expect(probe.seen.contains("client gone"))
    }

    @Test func errorsThrownByAsyncHooksMapAsOnTheSynchronousPath() throws {
        let server = try LitServer(
            endpoints: [LitEndpoint(CancellableSquareAPI(probe: TaskProbe()))],
            configuration: testConfiguration()
        )
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            #expect(
                expectJSONError(try client.request("POST", "/predict", body: #"{"input":1}"#), status: 418)
                    == "I'm a teapot"
            )
            #expect(
                expectJSONError(try client.request("POST", "/predict", body: #"{"input":2}"#), status: 500)
                    == "Internal server error"
            )
            #expect(
                expectJSONError(try client.request("POST", "/predict", body: #"{"input":3}"#), status: 422)
                    == "three is not allowed"
            )
            let badJSON = try client.request("POST", "/predict", body: #"{"input":"#)
            #expect(expectJSONError(badJSON, status: 400)?.hasPrefix("Invalid request body") == true)
            expectOutput(try client.request("POST", "/predict", body: #"{"input":4}"#), 16)
        }
    }

    @Test func anAsyncBatchKeepsTheDynamicBatching() throws {
        // Four requests sent at once with a long window: one predict(batch:) call of 4 (the window closes at
        // maxBatchSize, not at the timeout).
        let sizes = Locked<[Int]>([])
        let server = try LitServer(
            endpoints: [
                LitEndpoint(AsyncBatchSquareAPI(sizes: sizes), maxBatchSize: 4, batchTimeout: .seconds(20))
            ],
            configuration: testConfiguration()
        )
        try withRunningServer(server) { running in
            let clients = try sendPredictionsAtOnce(port: running.port, count: 4, idPrefix: "b")
            for (index, client) in clients.enumerated() {
                expectOutput(try client.readResponse(), Double(index * index))
            }
        }
        #expect(sizes.withLock { $0 } == [4])
    }

    @Test func theDefaultAsyncBatchRunsEachInputConcurrentlyInOrder() throws {
        // Only predict(_:context:) is implemented: the default batch form runs the 4 inputs as child tasks, which
        // must all be in flight together for the gate to open.
        let gate = OverlapGate(target: 4)
        let server = try LitServer(
            endpoints: [
                LitEndpoint(
                    AsyncEachSquareAPI(gate: gate),
                    maxBatchSize: 4,
                    batchTimeout: .seconds(20),
                    maxConcurrentPredictions: 1
                )
            ],
            configuration: testConfiguration()
        )
        try withRunningServer(server) { running in
            let clients = try sendPredictionsAtOnce(port: running.port, count: 4, idPrefix: "e")
            for (index, client) in clients.enumerated() {
                expectOutput(try client.readResponse(), Double(index * index))
            }
        }
        #expect(gate.largest == 4)
    }

    @Test func callbacksAndMetricsSeeAsyncRequests() throws {
        let recorder = EventRecorder()
        let server = try LitServer(
            endpoints: [LitEndpoint(CancellableSquareAPI(probe: TaskProbe()))],
            configuration: callbackConfiguration([recorder])
        )
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            expectOutput(try predict(7, id: "async-7", on: client), 49)
            let metrics = try client.request("GET", "/metrics").bodyText
            #expect(metrics.contains(#"lituv_request_duration_seconds_count{path="/predict"} 1"#), "\(metrics)")
        }
        #expect(recorder.names(for: "async-7") == everyStage)
    }
}
