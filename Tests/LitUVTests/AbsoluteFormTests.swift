import Foundation
import Synchronization
import Testing

@_spi(Benchmarks) @testable import LitUV

// Absolute-form request targets (RFC 9112 §3.2.2: `GET http://host:8000/health HTTP/1.1`), which servers MUST
// accept: the parser routes on the path component, strips the query as for origin-form, reads an empty path as "/",
// and rejects a malformed absolute-form target with 400; asterisk-form and CONNECT's authority-form are unchanged.

// MARK: - Drivers

/// What a parse produced, independent of how the input was split into reads.
private enum AbsoluteFormEvent: Equatable {
    /// A head, as the texts of its target and path (the ranges are checked where the head is handed out).
    case head(target: String, path: String)
    case body([UInt8])
    case end
    case error(HTTPParseError)
    case incomplete
}

/// Feeds `input` to a fresh parser in pieces of the given sizes (the last piece takes the rest), presenting the
/// unconsumed bytes again before each new piece, as a connection does.
private func feed(
    _ input: [UInt8],
    pieces: [Int],
    limits: HTTPLimits = .init(),
    sourceLocation: SourceLocation = #_sourceLocation
) -> [AbsoluteFormEvent] {
    var parser = HTTPRequestParser(limits: limits)
    var pending: [UInt8] = []
    var events: [AbsoluteFormEvent] = []
    var offset = 0
    var pieceIndex = 0
    var calls = 0
    while offset < input.count {
        let size = pieceIndex < pieces.count ? max(1, pieces[pieceIndex]) : input.count - offset
        pieceIndex += 1
        let next = min(input.count, offset + size)
        pending += input[offset..<next]
        offset = next
        reading: while true {
            calls += 1
            guard calls <= 4 * input.count + 100 else {
                Issue.record("the parser makes no progress", sourceLocation: sourceLocation)
                return events
            }
            let count = pending.count
            let result = pending.withUnsafeBytes { parser.parse($0) }
            var consumed = 0
            switch result {
            case .needMore(let n):
                consumed = n
            case .head(let head, let n):
                consumed = n
                // The path is never empty and lies within the target, which lies within what was given.
                #expect(
                    !head.path.isEmpty && head.path.lowerBound >= head.target.lowerBound
                        && head.path.upperBound <= head.target.upperBound && head.target.upperBound <= count,
                    "path \(head.path), target \(head.target)",
                    sourceLocation: sourceLocation
                )
                let target = String(decoding: pending[head.target], as: UTF8.self)
                let path = String(decoding: pending[head.path], as: UTF8.self)
                events.append(.head(target: target, path: path))
            case .body(let range, let n):
                consumed = n
                let slice = Array(pending[range])
                if case .body(let previous) = events.last {
                    events[events.count - 1] = .body(previous + slice)
                } else {
                    events.append(.body(slice))
                }
            case .end(let n):
                consumed = n
                events.append(.end)
            case .error(let error):
                events.append(.error(error))
                return events
            }
            #expect(consumed >= 0 && consumed <= count, sourceLocation: sourceLocation)
            pending.removeFirst(max(0, min(consumed, count)))
            if case .needMore = result { break reading }
        }
    }
    if !pending.isEmpty || events.last != .end { events.append(.incomplete) }
    return events
}

private func parseWhole(_ input: String, limits: HTTPLimits = .init()) -> [AbsoluteFormEvent] {
    feed(Array(input.utf8), pieces: [], limits: limits)
}

/// The path of the first head of `input`, parsed whole.
private func path(of input: String) -> String? {
    for case .head(_, let path) in parseWhole(input) { return path }
    return nil
}

/// The error `input` is rejected with, parsed whole.
private func rejection(of input: String, limits: HTTPLimits = .init()) -> HTTPParseError? {
    if case .error(let error) = parseWhole(input, limits: limits).last { return error }
    return nil
}

/// Feeds `input` whole, one byte at a time, two bytes at a time, split in two at every position, and in
/// pseudo-random pieces, and checks that every way gives the same events (heads, body bytes, end, which error).
private func expectSameEventsForEverySplit(_ input: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let bytes = Array(input.utf8)
    let reference = feed(bytes, pieces: [], sourceLocation: sourceLocation)
    var splits: [(String, [Int])] = [
        ("1-byte", Array(repeating: 1, count: bytes.count)),
        ("2-byte", Array(repeating: 2, count: bytes.count)),
    ]
    for k in 1..<max(1, bytes.count) { splits.append(("split at \(k)", [k])) }
    var state = UInt64(bytes.count)
    for round in 0..<10 {
        var pieces: [Int] = []
        var total = 0
        while total < bytes.count {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let n = 1 + Int((state >> 33) % UInt64(bytes.count / 4 + 1))
            pieces.append(n)
            total += n
        }
        splits.append(("random \(round)", pieces))
    }
    for (name, pieces) in splits {
        let events = feed(bytes, pieces: pieces, sourceLocation: sourceLocation)
        if events != reference {
            Issue.record(
                "\(name): \(events) != whole: \(reference) for \(input.debugDescription)",
                sourceLocation: sourceLocation
            )
            return
        }
    }
}

private let hostField = "Host: 127.0.0.1:8000\r\n"

// MARK: - Parser: accepted absolute-form targets

@Test func absoluteFormTargetIsRoutedOnItsPathComponent() {
    let input = "GET http://127.0.0.1:8000/health HTTP/1.1\r\n\(hostField)\r\n"
    #expect(parseWhole(input) == [.head(target: "http://127.0.0.1:8000/health", path: "/health"), .end])
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
        parseWhole(input) == [
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
    #expect(parseWhole("OPTIONS * HTTP/1.1\r\n\(hostField)\r\n") == [.head(target: "*", path: "*"), .end])
}

@Test func connectAuthorityFormIsHandedOutAsSent() {
    #expect(path(of: "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n") == "example.com:443")
    // CONNECT's target is not read as absolute-form, whatever it looks like.
    #expect(path(of: "CONNECT http://example.com/a HTTP/1.1\r\n\(hostField)\r\n") == "http://example.com/a")
}

@Test func originFormIsUnchanged() {
    #expect(
        parseWhole("GET /health?x HTTP/1.1\r\n\(hostField)\r\n") == [.head(target: "/health?x", path: "/health"), .end]
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
    expectSameEventsForEverySplit(input)
}

// MARK: - End to end

/// x², counting its predictions.
private struct AbsoluteFormSquareAPI: LitAPI {
    typealias Request = SquareAPI.Request
    typealias Response = SquareAPI.Response
    let predictions: AbsoluteFormPredictions
    func decodeRequest(_ request: Request) throws -> Double { request.input }
    func predict(_ x: Double) throws -> Double {
        predictions.value.add(1, ordering: .relaxed)
        return x * x
    }
    func encodeResponse(_ y: Double) throws -> Response { Response(output: y) }
}

private final class AbsoluteFormPredictions: Sendable {
    let value = Atomic<Int>(0)
}

@Suite("Absolute-form request targets, end to end")
struct AbsoluteFormEndToEndTests {
    @Test func absoluteFormHealthAndPredictAreServedLikeOriginForm() throws {
        let predictions = AbsoluteFormPredictions()
        let server = try LitServer(AbsoluteFormSquareAPI(predictions: predictions), configuration: testConfiguration())
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
            #expect(predictions.value.load(ordering: .relaxed) == 1, "the request reached the model")

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
