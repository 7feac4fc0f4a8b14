import Foundation
import Testing

@testable import LitUV

#if canImport(Glibc)
import Glibc
#endif

/// Restarts that lose nothing: what a client had started to send before a shutdown is answered with its real result,
/// load balancers get a drain delay with readiness down and liveness up, backlogged connections are served, and a
/// second server can share the port for a hot restart.
@Suite("Restarts that lose nothing")
struct RestartTests {
    static let key = "restart-key-0123456789"

    func configuration(
        ioThreads: Int = 2,
        drainDelay: Duration = .zero,
        reusePort: Bool = false
    ) -> LitServer.Configuration {
        var configuration = testConfiguration(
            ioThreads: ioThreads,
            enableShutdownAPI: true,
            shutdownAPIKey: Self.key
        )
        configuration.drainDelay = drainDelay
        configuration.reusePort = reusePort
        return configuration
    }

    /// POSTs `/shutdown` with the key on a connection of its own and expects the 200.
    func postShutdown(port: Int) throws {
        let response = try TestClient(port: port).request(
            "POST",
            "/shutdown",
            headers: ["Authorization: Bearer \(Self.key)"]
        )
        #expect(response.status == 200)
    }

    @Test(arguments: [
        // The head and part of the body arrived before the shutdown.
        (#"POST /predict HTTP/1.1\#r\#nHost: a\#r\#nContent-Length: 14\#r\#n\#r\#n{"inp"#, #"ut": 4.0}"#),
        // Only part of the head arrived before the shutdown.
        ("POST /pre", #"dict HTTP/1.1\#r\#nHost: a\#r\#nContent-Length: 14\#r\#n\#r\#n{"input": 4.0}"#),
    ])
    func aRequestArrivingWhenShutdownBeganGetsItsRealAnswer(first: String, rest: String) throws {
        let server = try LitServer(SquareAPI(), configuration: configuration())
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            try client.send(first)
            usleep(50_000)  // the first part is read before the shutdown begins
            try postShutdown(port: running.port)
            usleep(300_000)  // the rest comes 0.3 s later, while the server drains
            try client.send(rest)
            let response = try client.readResponse()
            expectOutput(response, 16.0)
            #expect(response.header("Connection") == "close")
            try running.wait()
        }
    }

    @Test func aPipelinedBurstReceivedBeforeShutdownIsAnsweredInFull() throws {
        let server = try LitServer(
            PerRequestSquareAPI(delay: .milliseconds(20)),
            configuration: configuration()
        )
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            let burst = (1...8).map { predictRequest(Double($0)) }.joined()
            try client.send(burst)
            usleep(30_000)  // received (by the server or its kernel) before the shutdown
            running.shutdown()
            for input in 1...8 {
                let response = try client.readResponse()
                expectOutput(response, Double(input * input))
            }
            try running.wait()
        }
    }

    @Test func readinessFallsAtOnceWhileLivenessStaysUpAndEveryAnswerClosesDuringTheDrainDelay() throws {
        let server = try LitServer(SquareAPI(), configuration: configuration(drainDelay: .milliseconds(1500)))
        try withRunningServer(server) { running in
            let keptAlive = try TestClient(port: running.port)
            expectOutput(try keptAlive.request("POST", "/predict", body: #"{"input": 3.0}"#), 9.0)
            #expect(try TestClient(port: running.port).request("GET", "/livez").status == 200)

            let shutdownAt = ContinuousClock.now
            running.shutdown()
            var health = try TestClient(port: running.port).request("GET", "/health")
            while health.status == 200 && ContinuousClock.now - shutdownAt < .milliseconds(500) {
                health = try TestClient(port: running.port).request("GET", "/health")
            }
            #expect(health.status == 503, "readiness is down at once")
            #expect(health.bodyText == "not ready")
            #expect(ContinuousClock.now - shutdownAt < .milliseconds(500))

            let liveness = try TestClient(port: running.port).request("GET", "/livez")
            #expect(liveness.status == 200, "a draining server is alive")
            #expect(liveness.header("Connection") == "close")

            // New connections are still accepted and served during the delay, each answer closing its connection.
            let fresh = try TestClient(port: running.port)
            let answer = try fresh.request("POST", "/predict", body: #"{"input": 5.0}"#)
            expectOutput(answer, 25.0)
            #expect(answer.header("Connection") == "close")
            expectClosed(fresh)

            // A connection kept alive from before gets its answer, with Connection: close, and is closed after it.
            let last = try keptAlive.request("POST", "/predict", body: #"{"input": 6.0}"#)
            expectOutput(last, 36.0)
            #expect(last.header("Connection") == "close")
            expectClosed(keptAlive)
            #expect(ContinuousClock.now - shutdownAt < .milliseconds(1500), "all of this happened within the delay")

            try running.wait()
            #expect(ContinuousClock.now - shutdownAt >= .milliseconds(1500), "the listeners stayed open for the delay")
            #expect(throws: (any Error).self) { try TestClient(port: running.port) }
        }
    }

    @Test func livenessAnswersOnlyGetAndCanBeTurnedOff() throws {
        try withRunningServer(try LitServer(SquareAPI(), configuration: configuration())) { running in
            let client = try TestClient(port: running.port)
            let alive = try client.request("GET", "/livez")
            #expect(alive.status == 200)
            #expect(alive.bodyText == "ok")
            let post = try client.request("POST", "/livez", body: "{}")
            #expect(post.status == 405)
            #expect(post.header("Allow") == "GET, HEAD")
        }
        var off = configuration()
        off.livenessPath = nil
        try withRunningServer(try LitServer(SquareAPI(), configuration: off)) { running in
            let response = try TestClient(port: running.port).request("GET", "/livez")
            #expect(response.status == 404)
        }
        var clash = configuration()
        clash.livenessPath = "/health"
        #expect(throws: LitServerError.self) { try LitServer(SquareAPI(), configuration: clash) }
    }

    @Test func aNegativeDrainDelayIsRefused() throws {
        var bad = configuration()
        bad.drainDelay = .milliseconds(-1)
        #expect {
            try LitServer(SquareAPI(), configuration: bad)
        } throws: { error in
            (error as? LitServerError)?.code == .invalidConfiguration
        }
    }

    @Test func connectionsWaitingInTheBacklogWhenTheListenerClosesAreAnswered() throws {
        // One loop, blocked by an inline model for 600 ms: connections made meanwhile wait in the kernel's backlog
        // (or in the loop's queue) while the shutdown begins; none may be reset, each gets its answer.
        let server = try LitServer(
            endpoints: [
                LitEndpoint(PerRequestSquareAPI(delay: .milliseconds(600)), path: "/block", runsInline: true),
                LitEndpoint(SquareAPI(), path: "/predict", runsInline: true),
            ],
            configuration: configuration(ioThreads: 1)
        )
        try withRunningServer(server) { running in
            let blocker = try TestClient(port: running.port)
            try blocker.send(TestClient.format("POST", "/block", body: #"{"input": 1.0}"#))
            usleep(100_000)  // the loop is now inside predict
            var waiting: [TestClient] = []
            for index in 1...8 {
                let client = try TestClient(port: running.port)
                try client.send(predictRequest(Double(index)))
                waiting.append(client)
            }
            running.shutdown()
            expectOutput(try blocker.readResponse(), 1.0)
            for (index, client) in waiting.enumerated() {
                let response = try client.readResponse()
                expectOutput(response, Double((index + 1) * (index + 1)))
            }
            try running.wait()
        }
    }

    @Test func aSecondServerSharesThePortOnlyWhenAskedAndServesAfterTheFirstStops() throws {
        let first = try LitServer(SquareAPI(), configuration: configuration())
        let running = try first.start(host: "127.0.0.1", port: 0)
        defer {
            running.shutdown()
            try? running.wait()
        }
        let port = running.port
        let refused = try LitServer(SquareAPI(), configuration: configuration())
        #expect {
            _ = try refused.start(host: "127.0.0.1", port: port)
        } throws: { error in
            (error as? LitServerError)?.code == .addressInUse
        }

        let second = try LitServer(SquareAPI(), configuration: configuration(reusePort: true))
        let startSecond = { try second.start(host: "127.0.0.1", port: port) }
        try withStartedServer(second, start: startSecond) { next in
            #expect(next.port == port)
            running.shutdown()
            try running.wait()
            #expect(running.loopCloseStatuses.allSatisfy { $0 == 0 })
            // Every new connection now reaches the second server.
            for input in 1...20 {
                expectOutput(
                    try TestClient(port: port).request("POST", "/predict", body: predictBody(input)),
                    Double(input * input)
                )
            }
        }
    }
}

/// `{"input": x}` for an integer input.
private func predictBody(_ input: Int) -> String { #"{"input": \#(input).0}"# }
