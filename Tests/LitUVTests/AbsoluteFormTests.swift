import Foundation
import Testing

@_spi(Benchmarks) @testable import LitUV

// Absolute-form request targets (RFC 9112 §3.2.2: `GET http://host:8000/health HTTP/1.1`), which servers MUST
// accept: the parser routes on the path component, strips the query as for origin-form, reads an empty path as "/",
// and rejects a malformed absolute-form target with 400; asterisk-form and CONNECT's authority-form are unchanged.

// MARK: - Drivers (the parser is driven by Support/ParserDriver.swift, which also checks that every head's path is
// non-empty and lies within its target)

/// What a parse produced, with heads as the texts of their target and path.
private enum AbsoluteFormEvent: Equatable {
    case head(target: String, path: String)
    case body([UInt8])
    case end
    case error(HTTPParseError)
    case incomplete
}

/// `input` parsed whole, heads shown as their target and path texts.
private func events(of input: String, limits: HTTPLimits = .init()) -> [AbsoluteFormEvent] {
    let bytes = Array(input.utf8)
    return parseWhole(bytes, limits: limits).map { event in
        switch event {
        case .head(let head):
            .head(
                target: String(decoding: bytes[head.target], as: UTF8.self),
                path: String(decoding: bytes[head.path], as: UTF8.self)
            )
        case .body(let body): .body(body)
        case .end: .end
        case .error(let error): .error(error)
        case .incomplete: .incomplete
        }
    }
}

/// The path of the first head of `input`, parsed whole.
private func path(of input: String) -> String? {
    for case .head(_, let path) in events(of: input) { return path }
    return nil
}

/// The error `input` is rejected with, parsed whole.
private func rejection(of input: String, limits: HTTPLimits = .init()) -> HTTPParseError? {
    if case .error(let error) = events(of: input, limits: limits).last { return error }
    return nil
}

private let hostField = "Host: 127.0.0.1:8000\r\n"

// MARK: - Parser: accepted absolute-form targets

@Test func absoluteFormTargetIsRoutedOnItsPathComponent() {
    let input = "GET http://127.0.0.1:8000/health HTTP/1.1\r\n\(hostField)\r\n"
    #expect(events(of: input) == [.head(target: "http://127.0.0.1:8000/health", path: "/health"), .end])
}

@Test func absoluteFormQueryIsStrippedFromThePathLikeOriginForm() {
    #expect(path(of: "GET http://example.com/predict?x=1?y=2 HTTP/1.1\r\n\(hostField)\r\n") == "/predict")
    #expect(path(of: "GET http://example.com/a/b/?c HTTP/1.1\r\n\(hostField)\r\n") == "/a/b/")
}

@Test(arguments: ["http", "https", "HTTP", "Https", "hTtPs"])
func absoluteFormSchemeIsCaseInsensitive(scheme: String) {
    #expect(path(of: "GET \(scheme)://example.com/health HTTP/1.1\r\n\(hostField)\r\n") == "/health")
}

@Test(arguments: ["http://example.com", "http://example.com:8000", "http://example.com?x=1", "https://[::1]:8000?x"])
func absoluteFormWithAnEmptyPathIsRoutedAsTheRoot(target: String) {
    #expect(path(of: "GET \(target) HTTP/1.1\r\n\(hostField)\r\n") == "/")
}

@Test(arguments: [
    ("http://127.0.0.1/predict", "/predict"),
    ("http://[::1]:8000/predict", "/predict"),
    ("http://[v1.fe80::a+en1]/x", "/x"),
    ("http://example.com:/predict", "/predict"),  // an empty port is allowed (RFC 3986 §3.2.3)
    ("http://ex-ample_1.~com/predict", "/predict"),
    ("http://%65xample.com/predict", "/predict"),
    ("http://a!$&'()*+,;=b/predict", "/predict"),
    ("http://example.com//double", "//double"),
    ("http://example.com/%2Fencoded", "/%2Fencoded"),
])
func absoluteFormHostsAndPortsOfEveryShapeAreAccepted(target: String, expected: String) {
    #expect(path(of: "GET \(target) HTTP/1.1\r\n\(hostField)\r\n") == expected)
}

@Test func absoluteFormPostKeepsItsBody() {
    let input = "POST HTTP://127.0.0.1:8000/predict HTTP/1.1\r\n\(hostField)Content-Length: 14\r\n\r\n{\"input\": 4.0}"
    #expect(
        events(of: input) == [
            .head(target: "HTTP://127.0.0.1:8000/predict", path: "/predict"),
            .body(Array("{\"input\": 4.0}".utf8)), .end,
        ]
    )
}

@Test func absoluteFormInHTTP10WithoutHostIsAccepted() {
    #expect(path(of: "GET http://example.com/health HTTP/1.0\r\n\r\n") == "/health")
}

@Test func absoluteFormInHTTP11StillRequiresAHostField() {
    let error = rejection(of: "GET http://example.com/health HTTP/1.1\r\n\r\n")
    #expect(error?.status == 400 && error?.detail.contains("Host") == true)
}

// MARK: - Parser: rejected absolute-form targets

@Test(arguments: [
    ("ftp://example.com/health", "scheme"),
    ("ws://example.com/health", "scheme"),
    ("httpx://example.com/health", "scheme"),
    ("mailto:someone@example.com", "scheme"),
    ("http:/health", "authority"),
    ("http:health", "authority"),
    ("https:", "authority"),
    ("http://", "Empty host"),
    ("http:///health", "Empty host"),
    ("http://:8000/health", "Empty host"),
    ("http://?x", "Empty host"),
    ("http://user@example.com/health", "User information"),
    ("http://user:pw@example.com/", "User information"),
    ("http://example.com:80x/health", "port"),
    ("http://example.com:8000:1/health", "port"),
    ("http://exa^mple.com/health", "host"),
    ("http://example.com#frag", "host"),
    ("http://%zzexample.com/", "host"),
    ("http://[::1/health", "host"),
    ("http://[]/health", "host"),
    ("http://[::1]x/health", "host"),
    ("health", "expected a path"),
    ("example.com:443", "scheme"),
    ("1http://example.com/", "expected a path"),
    ("http//example.com/health", "expected a path"),
    ("-://example.com/", "expected a path"),
])
func malformedAbsoluteFormTargetIsRejectedWith400AndSaysWhy(target: String, reason: String) {
    let error = rejection(of: "GET \(target) HTTP/1.1\r\n\(hostField)\r\n")
    #expect(error?.status == 400, "\(String(describing: error))")
    #expect(error?.detail.contains(reason) == true, "\(String(describing: error?.detail)) for \(target)")
}

@Test(arguments: ["http://example.com/a b", "http://exa mple.com/", "http:// example.com/", "http://example.com/a\tb"])
func absoluteFormTargetWithWhitespaceIsRejectedWith400(target: String) {
    let error = rejection(of: "GET \(target) HTTP/1.1\r\n\(hostField)\r\n")
    #expect(error?.status == 400, "\(String(describing: error))")
    #expect(error?.detail.isEmpty == false)
}

@Test func spaceInsideATargetIsReportedAsSuch() {
    let error = rejection(of: "GET http://example.com/a b HTTP/1.1\r\n\(hostField)\r\n")
    #expect(error?.detail.contains("Whitespace in the request target") == true, "\(String(describing: error))")
}

@Test func overlongAbsoluteFormTargetIsStill414() {
    let limits = HTTPLimits(maxRequestLineLength: 40)
    let target = "http://example.com/" + String(repeating: "a", count: 40)
    #expect(rejection(of: "GET \(target) HTTP/1.1\r\n\(hostField)\r\n", limits: limits)?.status == 414)
    // Also when the target is not even valid: the limit is crossed before the target is complete.
    let invalid = "ftp://example.com/" + String(repeating: "a", count: 40)
    #expect(rejection(of: "GET \(invalid) HTTP/1.1\r\n\(hostField)\r\n", limits: limits)?.status == 414)
}

// MARK: - Parser: other target forms are unchanged

@Test func asteriskFormIsHandedOutAsSent() {
    #expect(events(of: "OPTIONS * HTTP/1.1\r\n\(hostField)\r\n") == [.head(target: "*", path: "*"), .end])
}

@Test func connectAuthorityFormIsHandedOutAsSent() {
    #expect(path(of: "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n") == "example.com:443")
    // CONNECT's target is not read as absolute-form, whatever it looks like.
    #expect(path(of: "CONNECT http://example.com/a HTTP/1.1\r\n\(hostField)\r\n") == "http://example.com/a")
}

@Test func originFormIsUnchanged() {
    #expect(
        events(of: "GET /health?x HTTP/1.1\r\n\(hostField)\r\n") == [.head(target: "/health?x", path: "/health"), .end]
    )
}

// MARK: - Parser: incremental input

@Test(arguments: [
    "GET http://127.0.0.1:8000/health HTTP/1.1\r\n\(hostField)\r\n",
    "GET https://[::1]:8000?x=1 HTTP/1.1\r\n\(hostField)\r\n",
    "POST http://h/predict?a=b HTTP/1.1\r\n\(hostField)Content-Length: 14\r\n\r\n{\"input\": 4.0}"
        + "GET HTTP://h HTTP/1.1\r\n\(hostField)\r\nGET /health HTTP/1.1\r\n\(hostField)\r\n",
    "GET ftp://h/health HTTP/1.1\r\n\(hostField)\r\n",
    "GET http://user@h/health HTTP/1.1\r\n\(hostField)\r\n",
    "GET http://h:8x/ HTTP/1.1\r\n\(hostField)\r\n",
    "GET http:// HTTP/1.1\r\n\(hostField)\r\n",
    "GET http://h/a b HTTP/1.1\r\n\(hostField)\r\n",
    "GET /health HTTP/1.1\r\n\(hostField)\r\nGET http://h/predict HTTP/1.1\r\n\(hostField)\r\n",
])
func absoluteFormGivesTheSameEventsHoweverTheInputIsSplit(input: String) {
    expectSameResultForEverySplit(Array(input.utf8))
}

// MARK: - End to end

@Suite("Absolute-form request targets, end to end")
struct AbsoluteFormEndToEndTests {
    @Test func absoluteFormHealthAndPredictAreServedLikeOriginForm() throws {
        let predictions = Counter()
        let server = try LitServer(PerRequestSquareAPI(calls: predictions), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let authority = "127.0.0.1:\(running.port)"
            let client = try TestClient(port: running.port)

            try client.send("GET http://\(authority)/health HTTP/1.1\r\nHost: \(authority)\r\n\r\n")
            let health = try client.readResponse()
            #expect(health.status == 200 && health.bodyText == "ok", "\(health.status) \(health.bodyText)")

            // On the same keep-alive connection: a prediction, with another host in the target (the target's host
            // is not checked against the server's address).
            try client.send(
                "POST http://host/predict HTTP/1.1\r\nHost: \(authority)\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 14\r\n\r\n{\"input\": 4.0}"
            )
            let prediction = try client.readResponse()
            expectOutput(prediction, 16.0)
            #expect(predictions.value == 1, "the request reached the model")

            // An empty path is the root.
            try client.send("GET HTTP://\(authority) HTTP/1.1\r\nHost: \(authority)\r\n\r\n")
            let root = try client.readResponse()
            #expect(root.status == 200, "\(root.status) \(root.bodyText)")
        }
    }

    @Test func malformedAbsoluteFormIsAnswered400WithADetailAndTheConnectionCloses() throws {
        let server = try LitServer(SquareAPI(), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            try client.send("GET ftp://127.0.0.1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            let response = try client.readResponse()
            let detail = expectJSONError(response, status: 400)
            #expect(detail?.contains("scheme") == true, "\(String(describing: detail))")
            #expect(response.header("Connection") == "close")
            #expect(client.isClosedByServer())
        }
    }
}
