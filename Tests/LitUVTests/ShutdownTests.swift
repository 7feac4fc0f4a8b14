import Foundation
import ServiceLifecycle
import Testing

@testable import LitUV

#if canImport(Glibc)
import Glibc
#endif

/// Binds a plain socket (SO_REUSEADDR, no SO_REUSEPORT, as another program would) to 127.0.0.1:`port`.
/// - Returns: true when the bind succeeded (the socket is closed again at once).
func canBindPlainSocket(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var one: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let status = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    return status == 0
}

@Suite("Shutdown API and graceful lifecycle")
struct ShutdownTests {
    static let key = "test-key-0123456789"

    func server(
        delay: Duration? = nil,
        enable: Bool = true,
        drainTimeout: Duration = .seconds(30),
        workers: Int = 1
    ) throws -> LitServer {
        let configuration = testConfiguration(
            enableShutdownAPI: enable,
            shutdownAPIKey: enable ? Self.key : nil,
            drainTimeout: drainTimeout
        )
        if let delay {
            return try LitServer(CountingAPI(delay: delay), workersPerDevice: workers, configuration: configuration)
        }
        return try LitServer(SquareAPI(), configuration: configuration)
    }

    @Test func disabledShutdownRouteIs404() throws {
        try withRunningServer(try server(enable: false)) { running in
            let response = try TestClient(port: running.port).request(
                "POST",
                "/shutdown",
                headers: ["Authorization: Bearer \(Self.key)"]
            )
            #expect(response.status == 404)
        }
    }

    @Test func missingKeyIs401WithBearerChallenge() throws {
        try withRunningServer(try server()) { running in
            let response = try TestClient(port: running.port).request("POST", "/shutdown")
            #expect(response.status == 401)
            #expect(response.header("WWW-Authenticate") == "Bearer")
            #expect(response.header("Content-Type") == "application/json")
            #expect(response.bodyText.contains("\"detail\""))
        }
    }

    @Test(arguments: [
        "Basic dGVzdDp0ZXN0", "Bearer wrong", "Bearer \(key)x", "Bearer", "bearer  ", "Token \(key)",
        "Bearer test-key-012345678",
    ])
    func wrongKeyOrSchemeIs401(authorization: String) throws {
        try withRunningServer(try server()) { running in
            let client = try TestClient(port: running.port)
            let response = try client.request("POST", "/shutdown", headers: ["Authorization: \(authorization)"])
            #expect(response.status == 401)
            #expect(response.header("WWW-Authenticate") == "Bearer")
            // The server keeps serving.
            #expect(try client.request("GET", "/health").status == 200)
        }
    }

    @Test func otherMethodsAre405WithAllowPost() throws {
        try withRunningServer(try server()) { running in
            let client = try TestClient(port: running.port)
            for method in ["GET", "PUT", "DELETE"] {
                let response = try client.request(method, "/shutdown", headers: ["Authorization: Bearer \(Self.key)"])
                #expect(response.status == 405)
                #expect(response.header("Allow") == "POST")
            }
        }
    }

    @Test func schemeIsCaseInsensitive() throws {
        let running = try server().start(host: "127.0.0.1", port: 0)
        let response = try TestClient(port: running.port).request(
            "POST",
            "/shutdown",
            headers: ["Authorization: bEaReR \(Self.key)"]
        )
        #expect(response.status == 200)
        try running.wait()
        #expect(running.loopCloseStatuses.allSatisfy { $0 == 0 })
    }

    @Test func correctKeyAnswers200ThenStopsEverything() throws {
        let running = try server(workers: 3).start(host: "127.0.0.1", port: 0)
        let client = try TestClient(port: running.port)
        let response = try client.request("POST", "/shutdown", headers: ["Authorization: Bearer \(Self.key)"])
        #expect(response.status == 200)
        #expect(response.bodyText == "Server is initiating graceful shutdown.")
        try running.wait()
        #expect(running.loopCloseStatuses == [0, 0])
        #expect(running.liveWorkerCount == 0)
        #expect(client.isClosedByServer())
    }

    @Test func portIsBindableRightAfterThe200() throws {
        var samples: [Double] = []
        for _ in 0..<5 {
            let running = try server().start(host: "127.0.0.1", port: 0)
            let port = running.port
            #expect(!canBindPlainSocket(port: port), "the port is in use while serving")
            let client = try TestClient(port: port)
            let response = try client.request("POST", "/shutdown", headers: ["Authorization: Bearer \(Self.key)"])
            #expect(response.status == 200)
            let start = ContinuousClock.now
            while !canBindPlainSocket(port: port) && ContinuousClock.now - start < .seconds(2) { usleep(200) }
            let elapsed = ContinuousClock.now - start
            #expect(elapsed < .seconds(2), "the port was released")
            samples.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1e3)
            try running.wait()
        }
        // Functional bound, generous for a shared machine: the listener closes before any drain work.
        #expect(samples.sorted()[samples.count / 2] < 50, "median ms from 200 to bindable: \(samples)")
    }

    @Test func inFlightPredictionStillGets200WhenShutdownArrives() throws {
        let running = try server(delay: .milliseconds(400)).start(host: "127.0.0.1", port: 0)
        let slow = try TestClient(port: running.port)
        try slow.send(TestClient.format("POST", "/predict", body: #"{"input": 3}"#))
        usleep(100_000)  // the prediction is running
        let control = try TestClient(port: running.port)
        let answer = try control.request("POST", "/shutdown", headers: ["Authorization: Bearer \(Self.key)"])
        #expect(answer.status == 200)
        let response = try slow.readResponse()
        #expect(response.status == 200)
        #expect(response.bodyText.contains("9"))
        try running.wait()
        #expect(running.loopCloseStatuses.allSatisfy { $0 == 0 })
        #expect(running.liveWorkerCount == 0)
    }

    @Test func requestsArrivingWhileDrainingGet503AndClose() throws {
        let running = try server(delay: .milliseconds(500)).start(host: "127.0.0.1", port: 0)
        let client = try TestClient(port: running.port)
        try client.send(TestClient.format("POST", "/predict", body: #"{"input": 2}"#))
        usleep(100_000)
        running.shutdown()
        usleep(100_000)
        // Pipelined behind the running prediction, on the open connection.
        try client.send(
            TestClient.format("GET", "/health") + TestClient.format("POST", "/predict", body: #"{"input": 5}"#)
        )
        let first = try client.readResponse()
        #expect(first.status == 200)
        let health = try client.readResponse()
        #expect(health.status == 503)
        #expect(health.bodyText == "not ready")
        #expect(health.header("Connection") == "close")
        #expect(client.isClosedByServer())
        try running.wait()
        #expect(running.loopCloseStatuses.allSatisfy { $0 == 0 })
    }

    @Test func drainTimeoutAnswers503ForWhatIsStillRunning() throws {
        let running = try server(delay: .seconds(1), drainTimeout: .milliseconds(200)).start(host: "127.0.0.1", port: 0)
        let client = try TestClient(port: running.port)
        try client.send(TestClient.format("POST", "/predict", body: #"{"input": 2}"#))
        usleep(100_000)
        let start = ContinuousClock.now
        running.shutdown()
        let response = try client.readResponse()
        #expect(response.status == 503)
        #expect(ContinuousClock.now - start < .milliseconds(900))
        try running.wait()
        #expect(running.loopCloseStatuses.allSatisfy { $0 == 0 })
    }

    @Test func shutdownIsIdempotentFromManyThreads() throws {
        let running = try server().start(host: "127.0.0.1", port: 0)
        let threads = (0..<8).map { _ in Thread { running.shutdown() } }
        for thread in threads { thread.start() }
        running.shutdown()
        try running.wait()
        running.shutdown()
        #expect(running.loopCloseStatuses.allSatisfy { $0 == 0 })
    }

    @Test func idleKeepAliveConnectionsAreClosedOnShutdown() throws {
        let running = try server().start(host: "127.0.0.1", port: 0)
        let deadline = ContinuousClock.now + .seconds(10)
        while !running.isReady && ContinuousClock.now < deadline { usleep(1_000) }
        let clients = try (0..<16).map { _ in try TestClient(port: running.port) }
        for client in clients { #expect(try client.request("GET", "/health").status == 200) }
        running.shutdown()
        try running.wait()
        for client in clients { #expect(client.isClosedByServer()) }
        #expect(running.loopCloseStatuses.allSatisfy { $0 == 0 })
    }

    @Test func startStopStartOnTheSamePortWorks100Times() throws {
        let server = try self.server(enable: false)
        let first = try server.start(host: "127.0.0.1", port: 0)
        let port = first.port
        try first.stop()
        for _ in 0..<100 {
            let running = try server.start(host: "127.0.0.1", port: port)
            #expect(running.port == port)
            let response = try TestClient(port: port).request("GET", "/")
            #expect(response.status == 200)
            try running.stop()
            #expect(running.loopCloseStatuses.allSatisfy { $0 == 0 })
            #expect(running.liveWorkerCount == 0)
        }
    }

    @Test func startingTwiceIsAnError() throws {
        let server = try self.server(enable: false)
        let running = try server.start(host: "127.0.0.1", port: 0)
        #expect(throws: LitServerError.self) { try server.start(host: "127.0.0.1", port: 0) }
        try running.stop()
    }

    @Test func aTakenPortIsAClearError() throws {
        let server = try self.server(enable: false)
        let running = try server.start(host: "127.0.0.1", port: 0)
        let other = try self.server(enable: false)
        do {
            _ = try other.start(host: "127.0.0.1", port: running.port)
            Issue.record("binding a taken port must fail")
        } catch {
            #expect(error.code == .addressInUse)
            #expect(error.message.contains("already in use"))
        }
        try running.stop()
    }

    @Test func emptyConfiguredKeyIsRefused() {
        #expect(throws: LitServerError.self) {
            _ = try LitServer(
                SquareAPI(),
                configuration: testConfiguration(enableShutdownAPI: true, shutdownAPIKey: "")
            )
        }
    }

    @Test func serviceLifecycleGracefulShutdownStopsTheServer() async throws {
        var configuration = testConfiguration()
        configuration.port = 0
        configuration.host = "127.0.0.1"
        let server = try LitServer(SquareAPI(), configuration: configuration)
        let group = ServiceGroup(services: [server], logger: configuration.logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await Task.sleep(for: .milliseconds(200))
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}

/// Tests that change the process environment run one at a time.
@Suite("Shutdown key from the environment", .serialized)
struct ShutdownKeyEnvironmentTests {
    @Test func keyIsReadFromTheEnvironmentWhenTheServerStarts() throws {
        let server = try LitServer(SquareAPI(), configuration: testConfiguration(enableShutdownAPI: true))
        // Set after the server was created: the key is read at start, not at load.
        setenv("LIT_SHUTDOWN_API_KEY", "from-env-key", 1)
        defer { unsetenv("LIT_SHUTDOWN_API_KEY") }
        let running = try server.start(host: "127.0.0.1", port: 0)
        #expect(running.shutdownKey == "from-env-key")
        let client = try TestClient(port: running.port)
        #expect(try client.request("POST", "/shutdown", headers: ["Authorization: Bearer wrong"]).status == 401)
        #expect(try client.request("POST", "/shutdown", headers: ["Authorization: Bearer from-env-key"]).status == 200)
        try running.wait()
    }

    @Test func aKeyIsGeneratedWhenNoneIsSet() throws {
        unsetenv("LIT_SHUTDOWN_API_KEY")
        let server = try LitServer(SquareAPI(), configuration: testConfiguration(enableShutdownAPI: true))
        let first = try server.start(host: "127.0.0.1", port: 0)
        let key = try #require(first.shutdownKey)
        #expect(key.count == 43, "32 random bytes in unpadded base64url")
        #expect(key.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        #expect(
            try TestClient(port: first.port).request(
                "POST",
                "/shutdown",
                headers: ["Authorization: Bearer \(key)"]
            ).status == 200
        )
        try first.wait()
        // Each start (and each server) gets its own key.
        let second = try server.start(host: "127.0.0.1", port: 0)
        #expect(second.shutdownKey != key)
        try second.stop()
    }

    @Test func anEmptyEnvironmentKeyIsRefusedAtStart() throws {
        let server = try LitServer(SquareAPI(), configuration: testConfiguration(enableShutdownAPI: true))
        setenv("LIT_SHUTDOWN_API_KEY", "", 1)
        defer { unsetenv("LIT_SHUTDOWN_API_KEY") }
        #expect(throws: LitServerError.self) { try server.start(host: "127.0.0.1", port: 0) }
    }
}
