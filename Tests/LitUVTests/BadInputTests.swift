import Foundation
import Testing

@testable import LitUV

/// docs/ARCHITECTURE.md "Limits and bad input", row by row, over a real socket: the exact status, a JSON
/// `{"detail": ...}` body, the connection closed where the table says so, and the server still serving a new
/// connection afterwards.
@Suite("Bad input")
struct BadInputTests {
    /// Sends `raw` on a new connection, expects a JSON error with `status`, optionally that the connection is then
    /// closed, and that a new connection is still served.
    private func expectRejected(
        _ raw: String,
        status: Int,
        closes: Bool,
        limits: HTTPLimits = HTTPLimits(),
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let server = try LitServer(SquareAPI(), configuration: testConfiguration(limits: limits))
        try withRunningServer(server) { running in
            let (client, response) = try sendRaw(raw, port: running.port)
            expectJSONError(response, status: status, sourceLocation: sourceLocation)
            if closes {
                #expect(response.header("Connection") == "close", sourceLocation: sourceLocation)
                expectClosed(client, sourceLocation: sourceLocation)
            }
            expectServesNewConnection(port: running.port, sourceLocation: sourceLocation)
        }
    }

    // MARK: Limits

    @Test func requestLineOverLimitIsAnswered414() throws {
        let target = "/" + String(repeating: "a", count: 9 * 1024)
        try expectRejected("GET \(target) HTTP/1.1\r\nHost: t\r\n\r\n", status: 414, closes: false)
    }

    @Test func requestLineJustUnderLimitIsAccepted() throws {
        let server = try LitServer(SquareAPI(), configuration: testConfiguration())
        try withRunningServer(server) { running in
            // "GET " + target + " HTTP/1.1" == 8192 bytes exactly.
            let target = "/" + String(repeating: "a", count: 8 * 1024 - 4 - 9 - 1)
            let (_, response) = try sendRaw("GET \(target) HTTP/1.1\r\nHost: t\r\n\r\n", port: running.port)
            expectJSONError(response, status: 404)
        }
    }

    @Test func headerBlockOverSixteenKiBIsAnswered431() throws {
        let value = String(repeating: "v", count: 1000)
        let fields = (0..<20).map { "X-Filler-\($0): \(value)\r\n" }.joined()
        try expectRejected("GET / HTTP/1.1\r\nHost: t\r\n\(fields)\r\n", status: 431, closes: false)
    }

    @Test func moreThanHundredHeaderFieldsIsAnswered431() throws {
        let fields = (0..<101).map { "X-F\($0): v\r\n" }.joined()
        try expectRejected("GET / HTTP/1.1\r\nHost: t\r\n\(fields)\r\n", status: 431, closes: false)
    }

    @Test func hundredHeaderFieldsAreAccepted() throws {
        let server = try LitServer(SquareAPI(), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let fields = (0..<99).map { "X-F\($0): v\r\n" }.joined()  // + Host = 100
            let (_, response) = try sendRaw("GET /health HTTP/1.1\r\nHost: t\r\n\(fields)\r\n", port: running.port)
            #expect(response.status == 200)
        }
    }

    @Test func declaredBodyOverMaxPayloadIsAnswered413ThenClosed() throws {
        let body = String(repeating: "1", count: 2000)
        try expectRejected(
            TestClient.format("POST", "/predict", body: body),
            status: 413,
            closes: true,
            limits: HTTPLimits(maxPayloadSize: 1024)
        )
    }

    @Test func declaredBodyOverMaxPayloadIsAnsweredBeforeTheBodyIsSent() throws {
        let server = try LitServer(
            SquareAPI(),
            configuration: testConfiguration(limits: HTTPLimits(maxPayloadSize: 1024))
        )
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port, timeout: 5)
            try client.send("POST /predict HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000\r\n\r\n")
            expectJSONError(try client.readResponse(), status: 413)
            expectClosed(client)
            expectServesNewConnection(port: running.port)
        }
    }

    @Test func streamedChunkedBodyOverMaxPayloadIsAnswered413ThenClosed() throws {
        let chunk = String(repeating: "1", count: 600)
        let chunkLine = "\(String(600, radix: 16))\r\n\(chunk)\r\n"
        // Two chunks of 600 bytes: the second crosses the 1024-byte limit.
        let raw =
            "POST /predict HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" + chunkLine + chunkLine
            + "0\r\n\r\n"
        try expectRejected(raw, status: 413, closes: true, limits: HTTPLimits(maxPayloadSize: 1024))
    }

    @Test func chunkedBodyWithinMaxPayloadIsAccepted() throws {
        let server = try LitServer(
            SquareAPI(),
            configuration: testConfiguration(limits: HTTPLimits(maxPayloadSize: 1024))
        )
        try withRunningServer(server) { running in
            let body = #"{"input":3.0}"#
            let raw =
                "POST /predict HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "\(String(body.utf8.count, radix: 16))\r\n\(body)\r\n0\r\n\r\n"
            let (_, response) = try sendRaw(raw, port: running.port)
            expectOutput(response, 9.0)
        }
    }

    @Test func bodyOfExactlyMaxPayloadIsAcceptedAndOneMoreByteIs413() throws {
        let server = try LitServer(
            SquareAPI(),
            configuration: testConfiguration(limits: HTTPLimits(maxPayloadSize: 1024))
        )
        try withRunningServer(server) { running in
            let json = #"{"input":2.0}"#
            let exact = json + String(repeating: " ", count: 1024 - json.utf8.count)
            let client = try TestClient(port: running.port)
            expectOutput(try client.request("POST", "/predict", body: exact), 4.0)
            let (over, response) = try sendRaw(
                TestClient.format("POST", "/predict", body: exact + " "),
                port: running.port
            )
            expectJSONError(response, status: 413)
            expectClosed(over)
            // Chunked, exactly at the limit in two chunks.
            let half = String(exact.prefix(512))
            let rest = String(exact.dropFirst(512))
            let chunked =
                "POST /predict HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "200\r\n\(half)\r\n200\r\n\(rest)\r\n0\r\n\r\n"
            try client.send(chunked)
            expectOutput(try client.readResponse(), 4.0)
        }
    }

    @Test func emptyChunkedBodyIsAnswered400() throws {
        let server = try LitServer(SquareAPI(), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let (_, response) = try sendRaw(
                "POST /predict HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                port: running.port
            )
            expectJSONError(response, status: 400)
        }
    }

    // MARK: Malformed heads: 400, then close

    @Test func malformedRequestLineIsAnswered400ThenClosed() throws {
        try expectRejected("GET /\r\nHost: t\r\n\r\n", status: 400, closes: true)
    }

    @Test func requestLineWithoutTargetIsAnswered400ThenClosed() throws {
        try expectRejected("GET  HTTP/1.1\r\nHost: t\r\n\r\n", status: 400, closes: true)
    }

    @Test func badMethodTokenIsAnswered400ThenClosed() throws {
        try expectRejected("G(T / HTTP/1.1\r\nHost: t\r\n\r\n", status: 400, closes: true)
    }

    @Test func bareLFIsAnswered400ThenClosed() throws {
        try expectRejected("GET / HTTP/1.1\nHost: t\n\n", status: 400, closes: true)
    }

    @Test func bareLFInsideHeaderBlockIsAnswered400ThenClosed() throws {
        try expectRejected("GET / HTTP/1.1\r\nHost: t\nX-A: b\r\n\r\n", status: 400, closes: true)
    }

    @Test func bareCRIsAnswered400ThenClosed() throws {
        try expectRejected("GET / HTTP/1.1\rHost: t\r\n\r\n", status: 400, closes: true)
    }

    @Test func bareCRInHeaderValueIsAnswered400ThenClosed() throws {
        try expectRejected("GET / HTTP/1.1\r\nHost: t\r\nX-A: a\rb\r\n\r\n", status: 400, closes: true)
    }

    @Test func spaceBeforeColonIsAnswered400ThenClosed() throws {
        try expectRejected("GET / HTTP/1.1\r\nHost : t\r\n\r\n", status: 400, closes: true)
    }

    @Test func obsFoldIsAnswered400ThenClosed() throws {
        try expectRejected("GET / HTTP/1.1\r\nHost: t\r\nX-A: a\r\n  folded\r\n\r\n", status: 400, closes: true)
    }

    @Test func nulInHeaderValueIsAnswered400ThenClosed() throws {
        try expectRejected("GET / HTTP/1.1\r\nHost: t\r\nX-A: a\u{0}b\r\n\r\n", status: 400, closes: true)
    }

    @Test func controlCharacterInHeaderValueIsAnswered400ThenClosed() throws {
        try expectRejected("GET / HTTP/1.1\r\nHost: t\r\nX-A: a\u{1}b\r\n\r\n", status: 400, closes: true)
    }

    @Test func controlCharacterInTargetIsAnswered400ThenClosed() throws {
        try expectRejected("GET /a\u{7F}b HTTP/1.1\r\nHost: t\r\n\r\n", status: 400, closes: true)
    }

    @Test func nulInHeaderNameIsAnswered400ThenClosed() throws {
        try expectRejected("GET / HTTP/1.1\r\nHost: t\r\nX\u{0}A: b\r\n\r\n", status: 400, closes: true)
    }

    // MARK: Framing: 400, then close

    @Test func contentLengthWithTransferEncodingIsAnswered400ThenClosed() throws {
        let raw =
            "POST /predict HTTP/1.1\r\nHost: t\r\nContent-Length: 13\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "d\r\n{\"input\":2.0}\r\n0\r\n\r\n"
        try expectRejected(raw, status: 400, closes: true)
    }

    @Test func twoDifferentContentLengthsAreAnswered400ThenClosed() throws {
        let raw =
            "POST /predict HTTP/1.1\r\nHost: t\r\nContent-Length: 13\r\nContent-Length: 14\r\n\r\n"
            + "{\"input\":2.0}"
        try expectRejected(raw, status: 400, closes: true)
    }

    @Test func twoIdenticalContentLengthsAreAnswered400ThenClosed() throws {
        let raw =
            "POST /predict HTTP/1.1\r\nHost: t\r\nContent-Length: 13\r\nContent-Length: 13\r\n\r\n"
            + "{\"input\":2.0}"
        try expectRejected(raw, status: 400, closes: true)
    }

    @Test func contentLengthListIsAnswered400ThenClosed() throws {
        let raw = "POST /predict HTTP/1.1\r\nHost: t\r\nContent-Length: 13, 13\r\n\r\n{\"input\":2.0}"
        try expectRejected(raw, status: 400, closes: true)
    }

    @Test func transferEncodingChunkedThenGzipIsAnswered400ThenClosed() throws {
        let raw = "POST /predict HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n"
        try expectRejected(raw, status: 400, closes: true)
    }

    @Test func transferEncodingChunkedTwiceIsAnswered400ThenClosed() throws {
        let raw = "POST /predict HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n"
        try expectRejected(raw, status: 400, closes: true)
    }

    @Test func chunkExtensionWithoutANameIsAnswered400ThenClosed() throws {
        let raw =
            "POST /predict HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "d;\r\n{\"input\":2.0}\r\n0\r\n\r\n"
        try expectRejected(raw, status: 400, closes: true)
    }

    @Test func whitespaceBeforeTheEndOfAChunkSizeLineIsAnswered400ThenClosed() throws {
        let raw =
            "POST /predict HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "d \r\n{\"input\":2.0}\r\n0\r\n\r\n"
        try expectRejected(raw, status: 400, closes: true)
    }

    @Test func invalidContentLengthIsAnswered400ThenClosed() throws {
        try expectRejected("POST /predict HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n", status: 400, closes: true)
    }

    @Test func badChunkSizeIsAnswered400ThenClosed() throws {
        let raw = "POST /predict HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"
        try expectRejected(raw, status: 400, closes: true)
    }

    @Test func transferEncodingGzipIsAnswered501() throws {
        let raw = "POST /predict HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n"
        try expectRejected(raw, status: 501, closes: false)
    }

    @Test func transferEncodingGzipThenChunkedIsAnswered501() throws {
        let raw = "POST /predict HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"
        try expectRejected(raw, status: 501, closes: false)
    }

    // MARK: Versions and Host

    @Test func http2RequestLineIsAnswered505() throws {
        try expectRejected("GET / HTTP/2.0\r\nHost: t\r\n\r\n", status: 505, closes: false)
    }

    @Test func http12RequestLineIsAnswered505() throws {
        try expectRejected("GET / HTTP/1.2\r\nHost: t\r\n\r\n", status: 505, closes: false)
    }

    @Test func http11WithoutHostIsAnswered400() throws {
        try expectRejected("GET /health HTTP/1.1\r\nUser-Agent: t\r\n\r\n", status: 400, closes: false)
    }

    @Test func invalidHostIsAnswered400ThenClosed() throws {
        try expectRejected("GET /health HTTP/1.1\r\nHost: exa mple.com\r\n\r\n", status: 400, closes: true)
        try expectRejected("GET /health HTTP/1.1\r\nHost: user@example.com\r\n\r\n", status: 400, closes: true)
        try expectRejected("GET /health HTTP/1.1\r\nHost: example.com:65536\r\n\r\n", status: 400, closes: true)
        try expectRejected("GET /health HTTP/1.1\r\nHost: [::1\r\n\r\n", status: 400, closes: true)
    }

    @Test func emptyHostIsAnswered400ThenClosed() throws {
        try expectRejected("GET /health HTTP/1.1\r\nHost:\r\n\r\n", status: 400, closes: true)
    }

    @Test func validHostWithIPv6AndPortIsServed() throws {
        let server = try LitServer(SquareAPI(), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let (_, response) = try sendRaw("GET /health HTTP/1.1\r\nHost: [::1]:8000\r\n\r\n", port: running.port)
            #expect(response.status == 200)
        }
    }

    @Test func http10WithoutHostIsAccepted() throws {
        let server = try LitServer(SquareAPI(), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let (_, response) = try sendRaw("GET /health HTTP/1.0\r\n\r\n", port: running.port)
            #expect(response.status == 200)
            #expect(response.bodyText == "ok")
        }
    }

    // MARK: Expect

    @Test func expectContinueGets100BeforeTheBodyIsSentThen200() throws {
        let server = try LitServer(SquareAPI(), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port, timeout: 5)
            let body = #"{"input":4.0}"#
            try client.send(
                "POST /predict HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
            )
            // Nothing of the body has been sent yet: the interim answer must come first.
            let interim = try client.readResponse()
            #expect(interim.status == 100)
            #expect(interim.reason == "Continue")
            try client.send(body)
            expectOutput(try client.readResponse(), 16.0)
            // The connection stays usable.
            expectOutput(try client.request("POST", "/predict", body: #"{"input":5.0}"#), 25.0)
        }
    }

    @Test func expectContinueOnAPathWithoutBodyRouteIsAnsweredWithoutWaitingForTheBody() throws {
        // A final status replaces 100 Continue: the client must not have to send (or time out on) the body.
        let server = try LitServer(SquareAPI(), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port, timeout: 3)
            try client.send("POST /nowhere HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 13\r\n\r\n")
            expectJSONError(try client.readResponse(), status: 404)
            expectServesNewConnection(port: running.port)
        }
    }

    @Test func unsupportedExpectationIsAnswered417() throws {
        let server = try LitServer(SquareAPI(), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let (_, response) = try sendRaw(
                "GET /health HTTP/1.1\r\nHost: t\r\nExpect: something-else\r\n\r\n",
                port: running.port
            )
            expectJSONError(response, status: 417)
            expectServesNewConnection(port: running.port)
        }
    }

    @Test func unsupportedExpectationWithBodyIsAnswered417WithoutWaitingForTheBody() throws {
        let server = try LitServer(SquareAPI(), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port, timeout: 3)
            try client.send("POST /predict HTTP/1.1\r\nHost: t\r\nExpect: something-else\r\nContent-Length: 13\r\n\r\n")
            expectJSONError(try client.readResponse(), status: 417)
            expectServesNewConnection(port: running.port)
        }
    }

    // MARK: Bad JSON on /predict

    @Test func malformedJSONBodyIsAnswered400WithAReason() throws {
        let server = try LitServer(SquareAPI(), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            let response = try client.request("POST", "/predict", body: #"{"input": 4.0"#)
            let detail = expectJSONError(response, status: 400) ?? ""
            #expect(detail.localizedCaseInsensitiveContains("invalid"), "detail: \(detail)")
            #expect(detail.localizedCaseInsensitiveContains("body") || detail.localizedCaseInsensitiveContains("json"))
            #expect(detail.count > "Invalid request body".count + 2, "the detail should say what was wrong: \(detail)")
            // A bad body is not a protocol error: the connection stays usable.
            expectOutput(try client.request("POST", "/predict", body: #"{"input":2.0}"#), 4.0)
        }
    }

    @Test func wrongShapedJSONBodiesAreAnswered400NeverFiveHundred() throws {
        let server = try LitServer(SquareAPI(), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            for body in [#"{"x":1}"#, #"{"input":"a"}"#, "[]", "1", "null", #""input""#, "", "{}"] {
                let response = try client.request("POST", "/predict", body: body)
                let detail = expectJSONError(response, status: 400) ?? ""
                #expect(!detail.isEmpty, "body \(body)")
                if body == #"{"x":1}"# {
                    #expect(detail.contains("input"), "the detail should name the missing key: \(detail)")
                }
            }
        }
    }
}
