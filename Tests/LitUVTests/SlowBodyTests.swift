import Foundation
import Testing

@testable import LitUV

#if canImport(Glibc)
import Glibc
#endif

/// The minimum body data rate (slow-body attacks such as R.U.D.Y.): a body whose average rate falls below it after
/// the grace period is answered 408 and its connection closes; pauses that keep the average are served; time in
/// which the server does not read is not counted; an endpoint can turn the check off.
@Suite("Minimum body data rate")
struct SlowBodyTests {
    /// 100 bytes/s after 0.5 s: short enough for tests of about a second.
    private static let rate = BodyDataRate(bytesPerSecond: 100, grace: .milliseconds(500))

    private func configuration(rate: BodyDataRate? = Self.rate) -> LitServer.Configuration {
        var configuration = testConfiguration()
        configuration.minimumBodyDataRate = rate
        return configuration
    }

    /// `{"input":4.0}` padded with trailing spaces (valid JSON) to `length` bytes.
    private func paddedBody(_ length: Int) -> [UInt8] {
        let json = Array(#"{"input":4.0}"#.utf8)
        return json + [UInt8](repeating: 0x20, count: max(0, length - json.count))
    }

    /// Sends `body` one byte every 100 ms (10 bytes/s) until the server answers or closes, or the body is sent.
    /// - Returns: True when the server answered (or closed) before the whole body was sent.
    private func trickle(_ body: [UInt8], on client: TestClient) -> Bool {
        for byte in body {
            var descriptor = pollfd(fd: client.fd, events: Int16(POLLIN), revents: 0)
            if poll(&descriptor, 1, 100) > 0 { return true }
            do { try client.send([byte]) } catch { return true }
        }
        return false
    }

    @Test func aTricklingBodyIsAnswered408AndTheConnectionCloses() throws {
        let server = try LitServer(SquareAPI(), configuration: configuration())
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port, timeout: 10)
            try client.send("POST /predict HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n")
            // 10 bytes/s against a minimum of 100: cut once the grace has passed, long before the body's end.
            #expect(trickle(paddedBody(1000), on: client), "the server should answer before 100 s of trickling")
            let response = try client.readResponse()
            let detail = expectJSONError(response, status: 408)
            #expect(detail == "Request body too slow")
            #expect(response.header("Connection") == "close")
            expectClosed(client)
            expectServesNewConnection(port: running.port)
            let metrics = try TestClient(port: running.port).request("GET", "/metrics")
            #expect(metrics.bodyText.contains(#"lituv_requests_total{route="/predict",status="408"} 1"#))
        }
    }

    @Test func aBodyThatPausesButKeepsItsAverageIsServed() throws {
        let server = try LitServer(SquareAPI(), configuration: configuration())
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port, timeout: 10)
            let body = paddedBody(1000)
            try client.send("POST /predict HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n")
            try client.send(Array(body[0..<900]))
            // A pause of three grace periods: the average stays above 100 bytes/s for 9 s.
            sleepPrecisely(.milliseconds(1500))
            try client.send(Array(body[900...]))
            expectOutput(try client.readResponse(), 16.0)
            // The connection stays usable.
            expectOutput(try client.request("POST", "/predict", body: #"{"input":3.0}"#), 9.0)
        }
    }

    @Test func timeTheServerDoesNotReadIsNotCountedAgainstTheBody() throws {
        // 64 pipelined predictions of 50 ms each fill the pipeline: the server stops reading the connection until
        // half of them are answered (about 1.6 s, longer than the 1 s grace). The 65th request's head and the first
        // 10 bytes of its body were sent with them; the rest follows 100 ms after the server reads again. Counted
        // from their arrival, 10 bytes in 1.6 s are far below 100 bytes/s; counted from when the server read them,
        // the body is complete long before its first check.
        let rate = BodyDataRate(bytesPerSecond: 100, grace: .seconds(1))
        let server = try LitServer(
            PerRequestSquareAPI(delay: .milliseconds(50)),
            configuration: configuration(rate: rate)
        )
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port, timeout: 20)
            let body = paddedBody(200)
            var burst = ""
            for index in 0..<64 { burst += predictRequest(Double(index % 10)) }
            burst += "POST /predict HTTP/1.1\r\nHost: t\r\nContent-Length: 200\r\n\r\n"
            try client.send(Array(burst.utf8) + Array(body[0..<10]))
            // Reading resumes once fewer than 32 answers are pending, that is when the 33rd answer is written.
            for index in 0..<33 { expectOutput(try client.readResponse(), Double((index % 10) * (index % 10))) }
            sleepPrecisely(.milliseconds(100))
            try client.send(Array(body[10...]))
            for index in 33..<64 { expectOutput(try client.readResponse(), Double((index % 10) * (index % 10))) }
            expectOutput(try client.readResponse(), 16.0)
        }
    }

    @Test func anEndpointCanTurnTheCheckOffForItsPath() throws {
        var upload = LitEndpoint(SquareAPI(), path: "/upload")
        upload.enforcesMinimumBodyDataRate = false
        let server = try LitServer(
            endpoints: [upload, LitEndpoint(SquareAPI(), path: "/predict")],
            configuration: configuration()
        )
        try withRunningServer(server) { running in
            // 10 bytes/s for 1.5 s on /upload: served.
            let slow = try TestClient(port: running.port, timeout: 10)
            try slow.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 15\r\n\r\n")
            #expect(!trickle(paddedBody(15), on: slow))
            expectOutput(try slow.readResponse(), 16.0)
            // The same on /predict, which keeps the check: 408.
            let checked = try TestClient(port: running.port, timeout: 10)
            try checked.send("POST /predict HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n")
            #expect(trickle(paddedBody(1000), on: checked))
            expectJSONError(try checked.readResponse(), status: 408)
        }
    }

    @Test func nilTurnsTheCheckOff() throws {
        let server = try LitServer(SquareAPI(), configuration: configuration(rate: nil))
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port, timeout: 10)
            try client.send("POST /predict HTTP/1.1\r\nHost: t\r\nContent-Length: 15\r\n\r\n")
            #expect(!trickle(paddedBody(15), on: client))
            expectOutput(try client.readResponse(), 16.0)
        }
    }

    @Test func aRateBelowOneByteASecondIsAConfigurationError() throws {
        #expect(throws: LitServerError.self) {
            _ = try LitServer(
                SquareAPI(),
                configuration: configuration(rate: BodyDataRate(bytesPerSecond: 0, grace: .seconds(1)))
            )
        }
    }
}
