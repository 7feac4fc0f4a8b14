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
            let response = try client.request(
                "POST",
                "/predict",
                body: #"{"input":4.0}"#,
                headers: ["Connection: close"]
            )
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
            let raw =
                "POST /predict HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
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
                expectOutput(
                    try client.request("POST", "/predict", body: #"{"input":\#(Double(index))}"#),
                    Double(index * index)
                )
                usleep(150_000)  // well under the timeout each time, well over it in total
            }
        }
    }

    @Test func keepAliveIdleTimeCountsFromTheResponseNotTheRequest() throws {
        // The prediction takes longer than the keep-alive timeout; the idle period starts when it is answered.
        let server = try LitServer(
            CountingAPI(delay: .milliseconds(600)),
            configuration: testConfiguration(keepAliveTimeout: .milliseconds(400))
        )
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port, timeout: 5)
            expectOutput(try client.request("POST", "/predict", body: #"{"input":4.0}"#), 16.0)
            usleep(100_000)  // idle for a quarter of the timeout
            expectOutput(try client.request("POST", "/predict", body: #"{"input":3.0}"#), 9.0)
        }
    }

    @Test func slowPredictionIsNotCutOffByTheHeaderOrKeepAliveTimeout() throws {
        let server = try LitServer(
            CountingAPI(delay: .milliseconds(700)),
            configuration: testConfiguration(headerTimeout: .milliseconds(300), keepAliveTimeout: .milliseconds(300))
        )
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port, timeout: 5)
            expectOutput(try client.request("POST", "/predict", body: #"{"input":4.0}"#), 16.0)
        }
    }

    @Test func stalledRequestBodyIsDisconnectedAfterKeepAliveTimeout() throws {
        let server = try LitServer(SquareAPI(), configuration: testConfiguration(keepAliveTimeout: .milliseconds(300)))
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port, timeout: 5)
            let start = ContinuousClock.now
            try client.send("POST /predict HTTP/1.1\r\nHost: t\r\nContent-Length: 13\r\n\r\n{\"inp")
            expectClosed(client, within: 3)
            #expect(secondsSince(start) >= 0.2)
            expectServesNewConnection(port: running.port)
        }
    }

    @Test func stalledHeadOnAKeepAliveConnectionIsDisconnectedAfterHeaderTimeout() throws {
        let server = try LitServer(
            SquareAPI(),
            configuration: testConfiguration(headerTimeout: .milliseconds(300), keepAliveTimeout: .seconds(30))
        )
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port, timeout: 5)
            #expect(try client.request("GET", "/health").status == 200)
            let start = ContinuousClock.now
            try client.send("GET /health HTTP/1.1\r\nHo")
            expectClosed(client, within: 3)
            #expect(secondsSince(start) >= 0.2)
        }
    }

    @Test func requestsPipelinedAfterConnectionCloseAreNotProcessed() throws {
        let calls = Counter()
        let server = try LitServer(
            PerRequestSquareAPI(calls: calls, delay: .milliseconds(50)),
            configuration: testConfiguration()
        )
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            try client.send(predictRequest(2.0, headers: ["Connection: close"]) + predictRequest(3.0))
            let response = try client.readResponse()
            expectOutput(response, 4.0)
            #expect(response.header("Connection") == "close")
            expectClosed(client)
            usleep(150_000)
            #expect(calls.value == 1, "the request after Connection: close must not reach the model")
        }
    }

    @Test func bodyOnAGetRouteIsSkippedAndTheConnectionStaysInSync() throws {
        let server = try LitServer(SquareAPI(), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            try client.send("GET /health HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello" + predictRequest(5.0))
            #expect(try client.readResponse().bodyText == "ok")
            expectOutput(try client.readResponse(), 25.0)
        }
    }

    @Test func queryStringIsIgnoredForRouting() throws {
        let server = try LitServer(SquareAPI(), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            #expect(try client.request("GET", "/health?verbose=1").bodyText == "ok")
            expectOutput(try client.request("POST", "/predict?x=y", body: #"{"input":4.0}"#), 16.0)
        }
    }

    @Test func headOnPredictIsAnswered405WithoutBody() throws {
        let server = try LitServer(SquareAPI(), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            let response = try client.request("HEAD", "/predict")
            #expect(response.status == 405)
            #expect(response.header("Allow") == "POST")
            #expect(try client.request("GET", "/health").bodyText == "ok")
        }
    }

    // MARK: Half-close

    @Test func aClientThatHalfClosesIsTreatedAsGoneAndItsPredictionIsDropped() throws {
        // Like nginx: EOF while a prediction is pending means the client left (a half-close and a full close look
        // the same at this point); queued work is dropped before predict and the connection closes.
        let counter = HookCounter()
        let server = try LitServer(
            CountingAPI(counter: counter, delay: .milliseconds(300)),
            configuration: testConfiguration()
        )
        try withRunningServer(server) { running in
            let busy = try TestClient(port: running.port)
            try busy.send(predictRequest(1.0))
            usleep(50_000)
            let client = try TestClient(port: running.port)
            try client.send(predictRequest(4.0))
            client.shutdownWrite()
            expectClosed(client)
            expectOutput(try busy.readResponse(), 1.0)
            let deadline = ContinuousClock.now + .seconds(5)
            while running.inFlightCount > 0 && ContinuousClock.now < deadline { usleep(10_000) }
            #expect(counter.predictedInputs.load(ordering: .relaxed) == 1)
        }
    }

    @Test func aHalfClosingClientStillGetsAnswersAlreadyWritten() throws {
        let server = try LitServer(SquareAPI(), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            try client.send(TestClient.format("GET", "/health"))
            usleep(100_000)  // answered before the FIN arrives
            client.shutdownWrite()
            #expect(try client.readResponse().bodyText == "ok")
            expectClosed(client)
        }
    }

    // MARK: Clients that leave

    @Test func clientsThatLeaveBeforeTheirAnswerDoNotDisturbTheServer() throws {
        let server = try LitServer(CountingAPI(delay: .milliseconds(30)), configuration: testConfiguration())
        try withRunningServer(server) { running in
            for index in 0..<8 {
                let client = try TestClient(port: running.port)
                try client.send((0..<3).map { predictRequest(Double(index + $0)) }.joined())
                if index % 2 == 0 { client.resetOnClose() }
                // The client is released here: its socket closes (FIN, or RST for even indices).
            }
            let client = try TestClient(port: running.port)
            expectOutput(try client.request("POST", "/predict", body: #"{"input":7.0}"#), 49.0)
            let deadline = ContinuousClock.now + .seconds(5)
            while running.inFlightCount > 0 && ContinuousClock.now < deadline { usleep(10_000) }
            #expect(running.inFlightCount == 0, "abandoned predictions must settle")
        }
    }

    @Test func clientThatLeavesMidHeadOrMidBodyDoesNotDisturbTheServer() throws {
        let server = try LitServer(SquareAPI(), configuration: testConfiguration())
        try withRunningServer(server) { running in
            for partial in [
                "POST /predict HTTP/1.1\r\nHo", "POST /predict HTTP/1.1\r\nHost: t\r\nContent-Length: 13\r\n\r\n{\"in",
            ] {
                let client = try TestClient(port: running.port)
                try client.send(partial)
                client.resetOnClose()
            }
            expectServesNewConnection(port: running.port)
        }
    }
}
