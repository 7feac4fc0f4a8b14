import Foundation
import Testing

@testable import LitUV

#if canImport(Glibc)
import Glibc
#endif

/// `Configuration.maxConnections`: beyond the limit a new connection is closed at once, the open ones keep being
/// served, and a place freed by a close is taken by the next connection. The limit is the server's, over its loops.
@Suite("Connection limit")
struct ConnectionLimitTests {
    private func configuration(maxConnections: Int?) -> LitServer.Configuration {
        var configuration = testConfiguration(ioThreads: 2)
        configuration.maxConnections = maxConnections
        return configuration
    }

    /// Connects and checks that the server serves the connection (a `GET /health` answered).
    private func servedClient(port: Int) throws -> TestClient {
        let client = try TestClient(port: port, timeout: 5)
        let response = try client.request("GET", "/health")
        #expect(response.status == 200)
        return client
    }

    @Test func theConnectionPastTheLimitIsClosedWhileTheOthersAreServed() throws {
        let server = try LitServer(SquareAPI(), configuration: configuration(maxConnections: 3))
        try withRunningServer(server) { running in
            // Three connections, spread by the kernel over the two loops: each answered, so each is counted.
            var clients = try (0..<3).map { _ in try servedClient(port: running.port) }
            // The fourth is accepted and closed without an answer, whichever loop takes it.
            let refused = try TestClient(port: running.port, timeout: 5)
            let bytes = try refused.readUntilClosed()
            #expect(bytes.isEmpty, "a refused connection gets no answer: \(String(decoding: bytes, as: UTF8.self))")
            // The three keep being served.
            for (index, client) in clients.enumerated() {
                let x = Double(index + 2)
                expectOutput(try client.request("POST", "/predict", body: #"{"input":\#(x)}"#), x * x)
            }
            let metrics = try clients[0].request("GET", "/metrics")
            #expect(metrics.bodyText.contains("lituv_refused_connections_total 1\n"), "\(metrics.bodyText)")
            let open = metrics.bodyText
            #expect(open.contains("lituv_open_connections 3\n") || open.contains("lituv_open_connections 3.0\n"))

            // One closes: once the server has seen it, a new connection is served.
            clients.removeFirst()
            var served: TestClient?
            for _ in 0..<100 where served == nil {
                let candidate = try TestClient(port: running.port, timeout: 5)
                if let response = try? candidate.request("GET", "/health"), response.status == 200 {
                    served = candidate
                } else {
                    usleep(20_000)  // refused: the server has not processed the close yet
                }
            }
            let newcomer = try #require(served, "a connection should be served once one of the three closed")
            expectOutput(try newcomer.request("POST", "/predict", body: #"{"input":5.0}"#), 25.0)
            for client in clients { #expect(try client.request("GET", "/health").status == 200) }
        }
    }

    @Test func withoutALimitManyConnectionsAreServed() throws {
        let server = try LitServer(SquareAPI(), configuration: configuration(maxConnections: nil))
        try withRunningServer(server) { running in
            let clients = try (0..<20).map { _ in try servedClient(port: running.port) }
            let metrics = try clients[0].request("GET", "/metrics")
            #expect(metrics.bodyText.contains("lituv_refused_connections_total 0\n"))
        }
    }

    @Test func aLimitBelowOneIsAConfigurationError() throws {
        #expect(throws: LitServerError.self) {
            _ = try LitServer(SquareAPI(), configuration: configuration(maxConnections: 0))
        }
    }
}
