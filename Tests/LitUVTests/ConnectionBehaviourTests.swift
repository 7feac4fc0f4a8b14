import Foundation
import Testing

@testable import LitUV

#if canImport(Glibc)
import Glibc
#endif

/// Keep-alive and close, HEAD, the built-in routes, timeouts and half-close, over a real socket.
@Suite("Connection behaviour")
struct ConnectionBehaviourTests {
    // MARK: Keep-alive and close

    @Test func http11KeepsTheConnectionAliveByDefault() throws {
        let server = try LitServer(SquareAPI(), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            let first = try client.request("POST", "/predict", body: #"{"input":4.0}"#)
            expectOutput(first, 16.0)
            #expect(first.header("Connection") == nil)
            let second = try client.request("GET", "/health")
            #expect(second.status == 200)
            #expect(second.bodyText == "ok")
            expectOutput(try client.request("POST", "/predict", body: #"{"input":3.0}"#), 9.0)
        }
    }

    @Test func connectionCloseIsHonoured() throws {
        let server = try LitServer(SquareAPI(), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            let response = try client.request("POST", "/predict", body: #"{"input":4.0}"#, headers: ["Connection: close"])
            expectOutput(response, 16.0)
            #expect(response.header("Connection") == "close")
            expectClosed(client)
        }
    }

    @Test func connectionCloseOnABuiltInRouteIsHonoured() throws {
        let server = try LitServer(SquareAPI(), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            let response = try client.request("GET", "/health", headers: ["Connection: close"])
            #expect(response.status == 200)
            #expect(response.header("Connection") == "close")
            expectClosed(client)
        }
    }

    @Test func http10ClosesByDefault() throws {
        let server = try LitServer(SquareAPI(), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            try client.send("GET /health HTTP/1.0\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.bodyText == "ok")
            #expect(response.header("Connection") == "close")
            expectClosed(client)
        }
    }

    @Test func http10WithKeepAliveStaysOpen() throws {
        let server = try LitServer(SquareAPI(), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            let body = #"{"input":4.0}"#
            try client.send(
                "POST /predict HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
            )
            let first = try client.readResponse()
            expectOutput(first, 16.0)
            #expect(first.header("Connection") == "keep-alive")
            try client.send("GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            let second = try client.readResponse()
            #expect(second.status == 200)
            #expect(second.header("Connection") == "keep-alive")
            // Without the header the next 1.0 request ends the connection.
            try client.send("GET /health HTTP/1.0\r\n\r\n")
            let third = try client.readResponse()
            #expect(third.status == 200)
            #expect(third.header("Connection") == "close")
            expectClosed(client)
        }
    }

    // MARK: HEAD and the built-in routes

    @Test(arguments: ["/", "/health", "/info"])
    func headOnGetRoutesSendsHeadersWithoutBody(path: String) throws {
        let server = try LitServer(SquareAPI(), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            let get = try client.request("GET", path)
            #expect(get.status == 200)
            let head = try client.request("HEAD", path)
            #expect(head.status == 200)
            #expect(head.body.isEmpty)
            #expect(head.header("Content-Length") == String(get.body.count))
            #expect(head.header("Content-Type") == get.header("Content-Type"))
            // Had the HEAD answer carried a body, this response would not parse.
            let after = try client.request("GET", "/health")
            #expect(after.status == 200)
            #expect(after.bodyText == "ok")
        }
    }

    @Test func rootAnswersLitserveRunning() throws {
        let server = try LitServer(SquareAPI(), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let response = try TestClient(port: running.port).request("GET", "/")
            #expect(response.status == 200)
            #expect(response.bodyText == "litserve running")
            #expect(response.header("Content-Type")?.hasPrefix("text/plain") == true)
        }
    }

    @Test func healthAnswersOk() throws {
        let server = try LitServer(SquareAPI(), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let response = try TestClient(port: running.port).request("GET", "/health")
            #expect(response.status == 200)
            #expect(response.bodyText == "ok")
        }
    }

    @Test func infoAnswersJSONWithModelAndServer() throws {
        let server = try LitServer(SquareAPI(), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let response = try TestClient(port: running.port).request("GET", "/info")
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == "application/json")
            let object = jsonObject(response)
            #expect(object != nil, "body: \(response.bodyText)")
            #expect(object?.keys.contains("model") == true)
            #expect(object?["server"] is [String: Any])
        }
    }

    @Test func unknownPathIsAnswered404JSON() throws {
        let server = try LitServer(SquareAPI(), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            expectJSONError(try client.request("GET", "/nope"), status: 404)
            expectJSONError(try client.request("POST", "/predict/extra", body: "{}"), status: 404)
            // Still the same, usable connection.
            #expect(try client.request("GET", "/health").status == 200)
        }
    }

    @Test func getOnPredictIsAnswered405AllowPost() throws {
        let server = try LitServer(SquareAPI(), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            let response = try client.request("GET", "/predict")
            expectJSONError(response, status: 405)
            #expect(response.header("Allow") == "POST")
        }
    }

    @Test func postOnHealthIsAnswered405AllowGetHead() throws {
        let server = try LitServer(SquareAPI(), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            let response = try client.request("POST", "/health", body: "{}")
            expectJSONError(response, status: 405)
            #expect(response.header("Allow") == "GET, HEAD")
            #expect(try client.request("GET", "/health").status == 200)
        }
    }

    @Test func responsesCarryAnIMFFixdateDateHeader() throws {
        let server = try LitServer(SquareAPI(), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let response = try TestClient(port: running.port).request("GET", "/health")
            let date = try #require(response.header("Date"))
            let pattern =
                #"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} "#
                + #"[0-9]{2}:[0-9]{2}:[0-9]{2} GMT$"#
            #expect(date.range(of: pattern, options: .regularExpression) != nil, "Date: \(date)")
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
            let parsed = try #require(formatter.date(from: date))
            #expect(abs(parsed.timeIntervalSinceNow) < 5, "Date \(date) should be now")
        }
    }

    // MARK: Request framing variants

    @Test func chunkedBodyWithExtensionsAndTrailersIsAccepted() throws {
        let server = try LitServer(SquareAPI(), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            let raw = "POST /predict HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5;name=value\r\n{\"inp\r\n"
                + "3;a;b=\"quoted\"\r\nut\"\r\n"
                + "5\r\n:4.0}\r\n"
                + "0;last\r\nX-Trailer: yes\r\nX-Other: 1\r\n\r\n"
            try client.send(raw)
            expectOutput(try client.readResponse(), 16.0)
            // The connection is still in sync for the next request.
            expectOutput(try client.request("POST", "/predict", body: #"{"input":2.0}"#), 4.0)
        }
    }

    @Test func requestSentOneByteAtATimeIsAnswered() throws {
        let server = try LitServer(SquareAPI(), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            try client.sendSlowly(predictRequest(4.0))
            expectOutput(try client.readResponse(), 16.0)
            try client.sendSlowly(TestClient.format("GET", "/health"))
            #expect(try client.readResponse().bodyText == "ok")
        }
    }

    // MARK: Timeouts

    @Test func stalledRequestHeadIsDisconnectedAfterHeaderTimeout() throws {
        let server = try LitServer(SquareAPI(), configuration: testConfiguration(headerTimeout: .milliseconds(300)))
        try withRunningServer(server) { running in
            let slow = try TestClient(port: running.port, timeout: 5)
            let start = ContinuousClock.now
            try slow.send("POST /predict HTTP/1.1\r\nHost: t\r\nContent-")
            // Meanwhile another connection is served normally.
            let other = try TestClient(port: running.port)
            expectOutput(try other.request("POST", "/predict", body: #"{"input":4.0}"#), 16.0)
            slow.setTimeout(3)
            #expect(slow.isClosedByServer(), "the stalled connection should be closed")
            let elapsed = secondsSince(start)
            #expect(elapsed >= 0.2, "closed too early: \(elapsed) s")
            #expect(elapsed < 3, "closed too late: \(elapsed) s")
            // The other connection is still fine afterwards.
            #expect(try other.request("GET", "/health").status == 200)
        }
    }

    @Test func trickledRequestHeadIsDisconnectedAfterHeaderTimeout() throws {
        // Bytes keep arriving, but the head never completes: the deadline counts from its first byte.
        let server = try LitServer(SquareAPI(), configuration: testConfiguration(headerTimeout: .milliseconds(300)))
        try withRunningServer(server) { running in
            let slow = try TestClient(port: running.port, timeout: 5)
            let start = ContinuousClock.now
            var closed = false
            for _ in 0..<60 {
                do { try slow.send("X") } catch {
                    closed = true
                    break
                }
                usleep(50_000)
                if secondsSince(start) > 3 { break }
            }
            if !closed { closed = slow.isClosedByServer() }
            #expect(closed)
            #expect(secondsSince(start) < 3.5)
        }
    }

    @Test func idleKeepAliveConnectionIsClosedAfterKeepAliveTimeout() throws {
        let server = try LitServer(SquareAPI(), configuration: testConfiguration(keepAliveTimeout: .milliseconds(300)))
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port, timeout: 5)
            #expect(try client.request("GET", "/health").status == 200)
            let start = ContinuousClock.now
            expectClosed(client, within: 3)
            let elapsed = secondsSince(start)
            #expect(elapsed >= 0.2, "closed too early: \(elapsed) s")
            expectServesNewConnection(port: running.port)
        }
    }

    @Test func activeKeepAliveConnectionOutlivesKeepAliveTimeout() throws {
        let server = try LitServer(SquareAPI(), configuration: testConfiguration(keepAliveTimeout: .milliseconds(300)))
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port, timeout: 5)
            for index in 0..<6 {
                expectOutput(try client.request("POST", "/predict", body: #"{"input":\#(Double(index))}"#),
                             Double(index * index))
                usleep(150_000)  // well under the timeout each time, well over it in total
            }
        }
    }

    // MARK: Half-close

    @Test func halfClosedClientStillGetsItsResponse() throws {
        let server = try LitServer(SlowSquareAPI(delay: .milliseconds(100)), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            try client.send(predictRequest(4.0))
            client.shutdownWrite()
            let response = try client.readResponse()
            expectOutput(response, 16.0)
            #expect(response.header("Connection") == "close")
            expectClosed(client)
        }
    }

    @Test func halfClosedClientGetsEveryPipelinedResponse() throws {
        let server = try LitServer(SlowSquareAPI(delay: .milliseconds(20)), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            try client.send(predictRequest(1.0) + TestClient.format("GET", "/health") + predictRequest(3.0))
            client.shutdownWrite()
            expectOutput(try client.readResponse(), 1.0)
            #expect(try client.readResponse().bodyText == "ok")
            let last = try client.readResponse()
            expectOutput(last, 9.0)
            #expect(last.header("Connection") == "close")
            expectClosed(client)
        }
    }
}
