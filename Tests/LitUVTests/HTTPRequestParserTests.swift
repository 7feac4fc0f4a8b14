import Testing

@_spi(Benchmarks) @testable import LitUV

// MARK: - Drivers (shared: Support/ParserDriver.swift)

private func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

private func expectError(
    _ input: String,
    _ status: Int,
    limits: HTTPLimits = .init(),
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let events = parseWhole(input, limits: limits)
    guard case .error(let error) = events.last else {
        Issue.record("expected \(status), got \(events) for \(input.debugDescription)", sourceLocation: sourceLocation)
        return
    }
    #expect(error.status == status, "\(error.detail) for \(input.debugDescription)", sourceLocation: sourceLocation)
    // No head is handed out for a request rejected at head time.
    if !events.contains(where: { if case .head = $0 { true } else { false } }) {
        #expect(events.count == 1, sourceLocation: sourceLocation)
    }
}

private func text(_ input: String, _ range: Range<Int>) -> String {
    String(decoding: bytes(input)[range], as: UTF8.self)
}

private let host = "Host: example.com\r\n"

// MARK: - Valid requests

@Test func simpleGetYieldsHeadThenEndWithNoBody() throws {
    let input = "GET /index.html HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n"
    var parser = HTTPRequestParser()
    let buffer = bytes(input)
    let result = buffer.withUnsafeBytes { parser.parse($0) }
    guard case .head(let head, let consumed) = result else {
        Issue.record("expected head, got \(result)")
        return
    }
    #expect(consumed == buffer.count && head.length == buffer.count)
    #expect(head.method == .get)
    #expect(text(input, head.methodRange) == "GET")
    #expect(text(input, head.target) == "/index.html")
    #expect(text(input, head.path) == "/index.html")
    #expect(head.minorVersion == 1)
    #expect(head.headers.count == 2)
    #expect(text(input, head.headers[0].name) == "Host" && text(input, head.headers[0].value) == "example.com")
    #expect(text(input, head.headers[1].name) == "Accept" && text(input, head.headers[1].value) == "*/*")
    #expect(head.contentLength == nil && !head.isChunked && !head.hasBody)
    #expect(head.keepAlive && head.hostPresent && head.expectation == .none && head.authorization == nil)
    let rest: [UInt8] = []
    #expect(rest.withUnsafeBytes { parser.parse($0) } == .end(consumed: 0))
    #expect(rest.withUnsafeBytes { parser.parse($0) } == .needMore(consumed: 0))
}

@Test func pathStopsAtTheFirstQuestionMark() throws {
    let input = "GET /predict?x=1?y=2 HTTP/1.1\r\n\(host)\r\n"
    let head = try #require(firstHead(input))
    #expect(text(input, head.target) == "/predict?x=1?y=2")
    #expect(text(input, head.path) == "/predict")
}

@Test func asteriskAndAbsoluteFormTargetsAreAccepted() throws {
    let options = "OPTIONS * HTTP/1.1\r\n\(host)\r\n"
    let optionsHead = try #require(firstHead(options))
    #expect(text(options, optionsHead.target) == "*")
    let absolute = "GET http://example.com/a?b HTTP/1.1\r\n\(host)\r\n"
    let head = try #require(firstHead(absolute))
    #expect(text(absolute, head.path) == "/a")  // the path component (RFC 9112 §3.2.2); see AbsoluteFormTests
}

@Test func postWithContentLengthYieldsBodyThenEnd() {
    let input = "POST /predict HTTP/1.1\r\n\(host)Content-Length: 11\r\n\r\n{\"input\":4}"
    let events = parseWhole(input)
    #expect(events.count == 3)
    guard case .head(let head) = events.first else {
        Issue.record("no head: \(events)")
        return
    }
    #expect(head.method == .post && head.contentLength == 11 && head.hasBody)
    #expect(events[1] == .body(bytes("{\"input\":4}")))
    #expect(events[2] == .end)
}

@Test func contentLengthBodyIsHandedOutAsItArrivesWithoutBuffering() {
    var parser = HTTPRequestParser()
    let head = bytes("POST / HTTP/1.1\r\n\(host)Content-Length: 10\r\n\r\nabc")
    guard case .head(_, let consumed) = head.withUnsafeBytes({ parser.parse($0) }) else {
        Issue.record("no head")
        return
    }
    let rest = Array(head[consumed...])
    #expect(rest.withUnsafeBytes { parser.parse($0) } == .body(0..<3, consumed: 3))
    #expect([UInt8]().withUnsafeBytes { parser.parse($0) } == .needMore(consumed: 0))
    // More than the body: only the body is taken; the rest belongs to the next request.
    let more = bytes("defghijGET")
    #expect(more.withUnsafeBytes { parser.parse($0) } == .body(0..<7, consumed: 7))
    #expect(bytes("GET").withUnsafeBytes { parser.parse($0) } == .end(consumed: 0))
}

@Test func pipelinedRequestsInOneBufferAreParsedInOrder() {
    let input =
        "GET /a HTTP/1.1\r\n\(host)\r\n"
        + "POST /b HTTP/1.1\r\n\(host)Content-Length: 3\r\n\r\nxyz"
        + "POST /c HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"
        + "HEAD /d HTTP/1.1\r\n\(host)Connection: close\r\n\r\n"
    let events = parseWhole(input)
    var targets: [String] = []
    for case .head(let head) in events { targets.append(text(input, head.target)) }
    #expect(targets == ["/a", "/b", "/c", "/d"])
    #expect(events.filter { $0 == .end }.count == 4)
    #expect(events.contains(.body(bytes("xyz"))) && events.contains(.body(bytes("hi"))))
    #expect(events.last == .end)
    expectSameResultForEverySplit(bytes(input))
}

@Test func chunkedBodyWithExtensionsAndTrailersIsDecoded() {
    let input =
        "POST /upload HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n"
        + "5;name=value;flag\r\nhello\r\n"
        + "6 ; quoted=\"a b\"\r\n world\r\n"
        + "A\r\n0123456789\r\n"
        + "0;last\r\nChecksum: abc\r\nX-Trailer:\tvalue \r\n\r\n"
    let events = parseWhole(input)
    guard case .head(let head) = events.first else {
        Issue.record("no head: \(events)")
        return
    }
    #expect(head.isChunked && head.contentLength == nil && head.hasBody)
    #expect(Array(events.dropFirst()) == [.body(bytes("hello world0123456789")), .end])
    expectSameResultForEverySplit(bytes(input))
}

@Test func chunkedEndConsumesLastChunkAndTrailers() {
    var parser = HTTPRequestParser()
    let head = bytes("POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n")
    guard case .head = head.withUnsafeBytes({ parser.parse($0) }) else {
        Issue.record("no head")
        return
    }
    let body = bytes("3\r\nabc\r\n0\r\nT: v\r\n\r\nGET")
    #expect(body.withUnsafeBytes { parser.parse($0) } == .body(3..<6, consumed: 6))
    let tail = Array(body[6...])  // "\r\n0\r\nT: v\r\n\r\nGET"
    #expect(tail.withUnsafeBytes { parser.parse($0) } == .end(consumed: tail.count - 3))
}

@Test func chunkSizeIsHexadecimalInEitherCase() {
    let input =
        "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n"
        + "a\r\n0123456789\r\nB\r\n0123456789a\r\n0\r\n\r\n"
    #expect(parseWhole(input).dropFirst() == [.body(bytes("01234567890123456789a")), .end])
}

@Test func headRequestIsMappedAndHasNoBody() throws {
    let head = try #require(firstHead("HEAD / HTTP/1.1\r\n\(host)\r\n"))
    #expect(head.method == .head && !head.hasBody)
    #expect(parseWhole("HEAD / HTTP/1.1\r\n\(host)\r\n").last == .end)
}

@Test(arguments: [
    ("GET", HTTPMethod.get), ("HEAD", .head), ("POST", .post), ("PUT", .put), ("DELETE", .delete),
    ("OPTIONS", .options), ("PATCH", .patch), ("TRACE", .trace), ("CONNECT", .connect),
    ("SOURCE", .other), ("get", .other), ("Post", .other), ("M-SEARCH", .other), ("!#$%&'*+-.^_`|~", .other),
])
func methodTokensMapToTheEnum(token: String, method: HTTPMethod) throws {
    let input = "\(token) / HTTP/1.1\r\n\(host)\r\n"
    let head = try #require(firstHead(input))
    #expect(head.method == method)
    #expect(text(input, head.methodRange) == token)
}

@Test func leadingEmptyLinesBeforeTheRequestLineAreSkipped() throws {
    let input = "\r\n\r\nGET / HTTP/1.1\r\n\(host)\r\n"
    let head = try #require(firstHead(input))
    #expect(text(input, head.methodRange) == "GET")
    #expect(head.length == input.utf8.count)
    // Up to four, also between pipelined requests.
    let pipelined = "GET / HTTP/1.1\r\n\(host)\r\n\r\n\r\n\r\n\r\nGET /2 HTTP/1.1\r\n\(host)\r\n"
    #expect(parseWhole(pipelined).filter { $0 == .end }.count == 2)
}

@Test func tooManyLeadingEmptyLinesAreRejectedWith400() {
    expectError(String(repeating: "\r\n", count: 5) + "GET / HTTP/1.1\r\n\(host)\r\n", 400)
}

@Test func headerValuesAreTrimmedOfOptionalWhitespace() throws {
    let input = "GET / HTTP/1.1\r\n\(host)Foo:  \t bar baz \t \r\nEmpty:\r\nSpaces:   \r\n\r\n"
    let head = try #require(firstHead(input))
    #expect(text(input, head.headers[1].value) == "bar baz")
    #expect(head.headers[2].value.isEmpty && text(input, head.headers[2].name) == "Empty")
    #expect(head.headers[3].value.isEmpty)
}

@Test func everyTokenCharacterIsAcceptedInHeaderNames() throws {
    let name = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    let input = "GET / HTTP/1.1\r\n\(host)\(name): present\r\n\r\n"
    let head = try #require(firstHead(input))
    #expect(text(input, head.headers[1].name) == name)
}

@Test func obsTextAndVisibleCharactersAreAcceptedInHeaderValues() throws {
    var input = bytes("GET / HTTP/1.1\r\n\(host)Weird: ")
    let value: [UInt8] = Array(0x21...0x7E) + [0x20, 0x09] + Array(0x80...0xFF) + [0x41]
    input += value + bytes("\r\n\r\n")
    let events = parseWhole(input)
    guard case .head(let head) = events.first else {
        Issue.record("no head: \(events)")
        return
    }
    #expect(Array(input[head.headers[1].value]) == value)
}

@Test func tokenCharacterTableMatchesRFC9110() {
    let tchars = Set("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
    for b in UInt8.min...UInt8.max {
        #expect(HTTPRequestParser.isTokenChar(b) == tchars.contains(b), "byte \(b)")
    }
}

// MARK: - Keep-alive, Expect, Authorization, Host

@Test(arguments: [
    ("HTTP/1.1", "", true),
    ("HTTP/1.1", "Connection: close\r\n", false),
    ("HTTP/1.1", "Connection: CLOSE\r\n", false),
    ("HTTP/1.1", "Connection: Upgrade, close\r\n", false),
    ("HTTP/1.1", "Connection: keep-alive\r\n", true),
    ("HTTP/1.1", "Connection: upgrade\r\nConnection: close\r\n", false),
    ("HTTP/1.1", "Connection: closed\r\n", true),
    ("HTTP/1.0", "", false),
    ("HTTP/1.0", "Connection: keep-alive\r\n", true),
    ("HTTP/1.0", "Connection: Keep-Alive\r\n", true),
    ("HTTP/1.0", "Connection: foo ,  keep-alive \r\n", true),
    ("HTTP/1.0", "Connection: keep-alive, close\r\n", false),
    ("HTTP/1.0", "Connection: close\r\n", false),
])
func keepAliveFollowsVersionAndConnectionTokens(version: String, headers: String, keepAlive: Bool) throws {
    let head = try #require(firstHead("GET / \(version)\r\n\(host)\(headers)\r\n"))
    #expect(head.keepAlive == keepAlive)
    #expect(head.minorVersion == (version == "HTTP/1.1" ? 1 : 0))
}

@Test(arguments: [
    ("HTTP/1.1", "", HTTPRequestHead.Expectation.none),
    ("HTTP/1.1", "Expect: 100-continue\r\n", .continue),
    ("HTTP/1.1", "Expect: 100-Continue\r\n", .continue),
    ("HTTP/1.1", "Expect:  100-CONTINUE  \r\n", .continue),
    ("HTTP/1.1", "Expect: 200-ok\r\n", .unsupported),
    ("HTTP/1.1", "Expect: 100-continue\r\nExpect: foo\r\n", .unsupported),
    ("HTTP/1.1", "Expect:\r\n", .unsupported),
    ("HTTP/1.0", "Expect: 100-continue\r\n", .none),
    ("HTTP/1.0", "Expect: something\r\n", .unsupported),
])
func expectationIsReported(version: String, headers: String, expectation: HTTPRequestHead.Expectation) throws {
    let head = try #require(firstHead("POST / \(version)\r\n\(host)\(headers)Content-Length: 1\r\n\r\nx"))
    #expect(head.expectation == expectation)
}

@Test func authorizationValueRangeIsReported() throws {
    let input = "POST /shutdown HTTP/1.1\r\n\(host)authorization:  Bearer abc.def \r\n\r\n"
    let head = try #require(firstHead(input))
    #expect(text(input, try #require(head.authorization)) == "Bearer abc.def")
}

@Test func duplicateAuthorizationIsRejectedWith400() {
    expectError("GET / HTTP/1.1\r\n\(host)Authorization: a\r\nAuthorization: b\r\n\r\n", 400)
}

@Test func http11WithoutHostIsRejectedWith400MentioningHost() {
    let events = parseWhole("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n")
    guard case .error(let error) = events.last else {
        Issue.record("expected an error: \(events)")
        return
    }
    #expect(error.status == 400)
    #expect(error.detail.contains("Host"))
}

@Test func http10HeadWithoutHostIsParsed() throws {
    let head = try #require(firstHead("GET / HTTP/1.0\r\n\r\n"))
    #expect(!head.hostPresent && head.minorVersion == 0)
}

@Test func moreThanOneHostIsRejectedWith400() {
    expectError("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", 400)
    expectError("GET / HTTP/1.0\r\nHost: a\r\nHOST: b\r\n\r\n", 400)
}

// MARK: - Line endings and request line

@Test(arguments: [
    "GET / HTTP/1.1\n\(host)\r\n",
    "GET / HTTP/1.1\r\nHost: example.com\n\r\n",
    "GET / HTTP/1.1\r\n\(host)\n",
    "\nGET / HTTP/1.1\r\n\(host)\r\n",
    "GET /\n HTTP/1.1\r\n\(host)\r\n",
    "GET / HTTP/1.1\r\n\(host)A: b\nc\r\n\r\n",
    "GET / HTTP/1.1\r\n\(host)A\n: b\r\n\r\n",
])
func bareLineFeedInHeadIsRejectedWith400(input: String) {
    expectError(input, 400)
}

@Test(arguments: [
    "GET / HTTP/1.1\r\(host)\r\n",
    "GET / HTTP/1.1\r\nHost: example.com\r\r\n",
    "GET / HTTP/1.1\r\n\(host)\r\r\n",
    "GET / HTTP/1.1\r\n\(host)\rX",
    "\rGET / HTTP/1.1\r\n\(host)\r\n",
    "GET / HTTP/1.1\r\n\(host)A: b\rc\r\n\r\n",
    "GET /\r HTTP/1.1\r\n\(host)\r\n",
    "GET\r/ HTTP/1.1\r\n\(host)\r\n",
])
func bareCarriageReturnInHeadIsRejectedWith400(input: String) {
    expectError(input, 400)
}

@Test func bareCarriageReturnBetweenPipelinedRequestsIsRejectedWith400() {
    let events = parseWhole("GET / HTTP/1.1\r\n\(host)\r\n\rGET / HTTP/1.1\r\n\(host)\r\n")
    #expect(events.count == 3 && events[1] == .end)
    guard case .error(let error) = events.last else {
        Issue.record("expected an error: \(events)")
        return
    }
    #expect(error.status == 400)
}

@Test(arguments: [
    "G(T / HTTP/1.1\r\n",
    "GET@ / HTTP/1.1\r\n",
    "G\u{0}T / HTTP/1.1\r\n",
    "GÉT / HTTP/1.1\r\n",
    " GET / HTTP/1.1\r\n",
    "GET  / HTTP/1.1\r\n",
    "GET / HTTP/1.1 \r\n",
    "GET /  HTTP/1.1\r\n",
    "GET\t/ HTTP/1.1\r\n",
    "GET /\tHTTP/1.1\r\n",
    "GET / a HTTP/1.1\r\n",
    "GET /\u{7F} HTTP/1.1\r\n",
    "GET /\u{1} HTTP/1.1\r\n",
    "GET /é HTTP/1.1\r\n",
    "GET /\r\n",
    "GET / \r\n",
    "GET\r\n",
    "GET / http/1.1\r\n",
    "GET / HTTP/1.10\r\n",
    "GET / HTTP/11.1\r\n",
    "GET / HTTP/1\r\n",
    "GET / HTTP/1.\r\n",
    "GET / HTTP/a.1\r\n",
    "GET / HTTP/1.1x\r\n",
    "GET / HTTPS/1.1\r\n",
])
func malformedRequestLineIsRejectedWith400(line: String) {
    expectError(line + host + "\r\n", 400)
}

@Test(arguments: ["HTTP/2.0", "HTTP/0.9", "HTTP/1.2", "HTTP/3.0", "HTTP/1.9", "HTTP/9.9"])
func unsupportedHttpVersionIsRejectedWith505(version: String) {
    expectError("GET / \(version)\r\n\(host)\r\n", 505)
}

@Test func requestLineExactlyAtTheLimitIsAccepted() throws {
    let limits = HTTPLimits(maxRequestLineLength: 64)
    let line = "GET /" + String(repeating: "a", count: 64 - 14) + " HTTP/1.1"
    #expect(line.utf8.count == 64)
    let head = try #require(firstHead(line + "\r\n\(host)\r\n", limits: limits))
    #expect(head.target.count == 51)
}

@Test func requestLineOneByteOverTheLimitIsRejectedWith414() {
    let limits = HTTPLimits(maxRequestLineLength: 64)
    let line = "GET /" + String(repeating: "a", count: 64 - 13) + " HTTP/1.1"
    expectError(line + "\r\n\(host)\r\n", 414, limits: limits)
    // Also when the extra byte is in the method or the version.
    expectError(String(repeating: "A", count: 65) + " / HTTP/1.1\r\n\(host)\r\n", 414, limits: limits)
    let longVersionLine = "GET /" + String(repeating: "a", count: 64 - 14) + " HTTP/1.1x"
    expectError(longVersionLine + "\r\n\(host)\r\n", 414, limits: limits)
}

@Test func overlongRequestLineIsDetectedWithoutWaitingForItsEnd() {
    let limits = HTTPLimits(maxRequestLineLength: 100)
    var parser = HTTPRequestParser(limits: limits)
    let exactly = bytes("GET /" + String(repeating: "a", count: 95))
    #expect(exactly.withUnsafeBytes { parser.parse($0) } == .needMore(consumed: 0))
    let oneMore = exactly + [UInt8(ascii: "a")]
    guard case .error(let error) = oneMore.withUnsafeBytes({ parser.parse($0) }) else {
        Issue.record("no error")
        return
    }
    #expect(error.status == 414)
    // Leading empty lines do not count towards the request line.
    var parser2 = HTTPRequestParser(limits: limits)
    #expect((bytes("\r\n\r\n") + exactly).withUnsafeBytes { parser2.parse($0) } == .needMore(consumed: 0))
}

// MARK: - Header fields

@Test(arguments: [
    "Host : example.com\r\n\r\n",
    "Host\t: example.com\r\n\r\n",
    "\(host)Transfer-Encoding : chunked\r\n\r\n",
    "\(host)Content-Length : 0\r\n\r\n",
])
func whitespaceBeforeColonIsRejectedWith400(fields: String) {
    expectError("GET / HTTP/1.1\r\n\(fields)", 400)
}

@Test(arguments: [
    "\(host)Foo: bar\r\n baz\r\n\r\n",
    "\(host)Foo: bar\r\n\tbaz\r\n\r\n",
    " Host: example.com\r\n\r\n",
    "\(host)\tX: y\r\n\r\n",
])
func obsFoldIsRejectedWith400(fields: String) {
    expectError("GET / HTTP/1.1\r\n\(fields)", 400)
}

@Test func controlCharactersInHeaderValuesAreRejectedWith400() {
    for b in UInt8(0)..<0x20 where b != 0x09 && b != 0x0A && b != 0x0D {
        let input = bytes("GET / HTTP/1.1\r\n\(host)Foo: a") + [b] + bytes("b\r\n\r\n")
        let events = parseWhole(input)
        #expect(events.count == 1, "byte \(b)")
        if case .error(let error) = events.last { #expect(error.status == 400, "byte \(b)") }
    }
    expectError("GET / HTTP/1.1\r\n\(host)Foo: a\u{7F}\r\n\r\n", 400)
    expectError("GET / HTTP/1.1\r\n\(host)Foo: \u{0}\r\n\r\n", 400)
}

@Test func nonTokenBytesInHeaderNamesAreRejectedWith400() {
    let tchars = Set("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
    for b in UInt8.min...UInt8.max where !tchars.contains(b) && b != UInt8(ascii: ":") {
        let input = bytes("GET / HTTP/1.1\r\n\(host)Fo") + [b] + bytes("o: bar\r\n\r\n")
        let events = parseWhole(input)
        #expect(events.count == 1, "byte \(b)")
        if case .error(let error) = events.last { #expect(error.status == 400, "byte \(b)") }
    }
}

@Test(arguments: [
    "\(host): empty name\r\n\r\n",
    "\(host)NoColon\r\n\r\n",
    "\(host)Foo\u{0}: bar\r\n\r\n",
    "\(host)\"Quoted\": bar\r\n\r\n",
])
func malformedHeaderFieldIsRejectedWith400(fields: String) {
    expectError("GET / HTTP/1.1\r\n\(fields)", 400)
}

@Test func headerBlockExactlyAtTheLimitIsAccepted() throws {
    // Field lines with their CRLFs: "Host: example.com\r\n" (19) + "X: <pad>\r\n".
    let limits = HTTPLimits(maxHeaderBytes: 100)
    let pad = String(repeating: "p", count: 100 - 19 - 5)
    let head = try #require(firstHead("GET / HTTP/1.1\r\n\(host)X: \(pad)\r\n\r\n", limits: limits))
    #expect(head.headers.count == 2)
}

@Test func headerBlockOneByteOverTheLimitIsRejectedWith431() {
    let limits = HTTPLimits(maxHeaderBytes: 100)
    let pad = String(repeating: "p", count: 100 - 19 - 5 + 1)
    expectError("GET / HTTP/1.1\r\n\(host)X: \(pad)\r\n\r\n", 431, limits: limits)
    // Trailing whitespace counts too.
    let samePad = String(repeating: "p", count: 100 - 19 - 5)
    expectError("GET / HTTP/1.1\r\n\(host)X: \(samePad) \r\n\r\n", 431, limits: limits)
}

@Test func oversizedHeaderBlockIsDetectedWithoutWaitingForItsEnd() {
    let limits = HTTPLimits(maxHeaderBytes: 100)
    var parser = HTTPRequestParser(limits: limits)
    let start = bytes("GET / HTTP/1.1\r\n")
    let exactly = start + bytes("X-Long: ") + Array(repeating: UInt8(ascii: "v"), count: 92)
    #expect(exactly.withUnsafeBytes { parser.parse($0) } == .needMore(consumed: 0))
    #expect(parser.headBytesScanned == exactly.count)
    guard case .error(let error) = (exactly + [0x76]).withUnsafeBytes({ parser.parse($0) }) else {
        Issue.record("no error")
        return
    }
    #expect(error.status == 431)
}

@Test func headerCountAtTheLimitIsAcceptedAndOneMoreIsRejectedWith431() throws {
    let limits = HTTPLimits(maxHeaderCount: 5)
    let four = (1...4).map { "X-\($0): v\r\n" }.joined()
    let head = try #require(firstHead("GET / HTTP/1.1\r\n\(host)\(four)\r\n", limits: limits))
    #expect(head.headers.count == 5)
    expectError("GET / HTTP/1.1\r\n\(host)\(four)X-5: v\r\n\r\n", 431, limits: limits)
}

@Test func defaultLimitsAcceptOneHundredFieldsAndRejectOneHundredAndOne() {
    let fields = (1...99).map { "X-\($0): v\r\n" }.joined()
    #expect(firstHead("GET / HTTP/1.1\r\n\(host)\(fields)\r\n")?.headers.count == 100)
    expectError("GET / HTTP/1.1\r\n\(host)\(fields)X-100: v\r\n\r\n", 431)
}

// MARK: - Content-Length

@Test(arguments: ["+5", "-1", "0x10", "1 2", "", "5a", "1.0", "\u{661}", "5,", ",5", "5,,5", "5;x"])
func malformedContentLengthIsRejectedWith400(value: String) {
    expectError("POST / HTTP/1.1\r\n\(host)Content-Length: \(value)\r\n\r\nhello", 400)
}

@Test func differentContentLengthsAreRejectedWith400() {
    expectError("POST / HTTP/1.1\r\n\(host)Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400)
    expectError("POST / HTTP/1.1\r\n\(host)Content-Length: 5, 6\r\n\r\nhello!", 400)
    expectError("POST / HTTP/1.1\r\n\(host)Content-Length: 5\r\ncontent-length: 5, 6\r\n\r\nhello!", 400)
}

@Test func contentLengthWithLeadingZerosIsAccepted() {
    // Repeated Content-Length fields and lists, even of one value, are rejected: see StrictFramingTests.
    let expected: [ParserEvent] = [.body(bytes("hello")), .end]
    #expect(parseWhole("POST / HTTP/1.1\r\n\(host)Content-Length: 005\r\n\r\nhello").dropFirst() == expected[...])
}

@Test func zeroContentLengthHasNoBody() {
    let events = parseWhole("POST / HTTP/1.1\r\n\(host)Content-Length: 0\r\n\r\n")
    #expect(events.count == 2 && events.last == .end)
}

@Test func hugeContentLengthIsRejectedWithoutOverflow() {
    expectError("POST / HTTP/1.1\r\n\(host)Content-Length: 99999999999999999999999999999\r\n\r\n", 413)
    expectError("POST / HTTP/1.1\r\n\(host)Content-Length: 9223372036854775808\r\n\r\n", 413)
    expectError("POST / HTTP/1.1\r\n\(host)Content-Length: 9223372036854775807\r\n\r\n", 413)
    // With an unlimited payload, an overflowing length still cannot be honoured.
    expectError(
        "POST / HTTP/1.1\r\n\(host)Content-Length: 99999999999999999999999999999\r\n\r\n",
        413,
        limits: HTTPLimits(maxPayloadSize: .max - 1)
    )
}

@Test func contentLengthAtThePayloadLimitIsAcceptedAndOneMoreIsRejectedWith413() throws {
    let limits = HTTPLimits(maxPayloadSize: 10)
    let head = try #require(firstHead("POST / HTTP/1.1\r\n\(host)Content-Length: 10\r\n\r\n", limits: limits))
    #expect(head.contentLength == 10)
    // The error replaces the head: no head is handed out.
    expectError("POST / HTTP/1.1\r\n\(host)Content-Length: 11\r\n\r\n", 413, limits: limits)
}

// MARK: - Transfer-Encoding and smuggling

@Test(arguments: ["chunked", "Chunked", "CHUNKED", "  chunked  ", "\tchunked", "chunked,", ", chunked"])
func chunkedTransferEncodingIsRecognised(value: String) throws {
    let head = try #require(firstHead("POST / HTTP/1.1\r\n\(host)Transfer-Encoding: \(value)\r\n\r\n0\r\n\r\n"))
    #expect(head.isChunked)
}

@Test(arguments: ["gzip", "identity", "gzip, chunked", "deflate", "xchunked", "chunkedx", "gzip, deflate, chunked"])
func codingsLitUVDoesNotImplementAreRejectedWith501(value: String) {
    // Codings whose final one is not chunked, and chunked twice or with parameters, are 400: see StrictFramingTests.
    expectError("POST / HTTP/1.1\r\n\(host)Transfer-Encoding: \(value)\r\n\r\n0\r\n\r\n", 501)
}

@Test func transferEncodingSplitOverSeveralFieldsIsOneList() {
    expectError(
        "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        501
    )
}

@Test(arguments: ["", "\"chunked\"", "chu nked", "chunked chunked", ",", "chunked/1"])
func malformedTransferEncodingIsRejectedWith400(value: String) {
    expectError("POST / HTTP/1.1\r\n\(host)Transfer-Encoding: \(value)\r\n\r\n0\r\n\r\n", 400)
}

@Test func contentLengthWithTransferEncodingIsRejectedWith400() {
    // NIO's smuggling case: Content-Length together with "gzip, chunked".
    expectError(
        "POST /foo HTTP/1.1\r\nHost: localhost\r\nContent-length: 1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
            + "3\r\na=1\r\n0\r\n\r\n",
        400
    )
    expectError("POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n", 400)
    expectError("POST / HTTP/1.1\r\n\(host)Content-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400)
}

@Test func transferEncodingInHttp10IsRejectedWith400() {
    expectError("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400)
}

@Test func smugglingVariantsAreRejected() {
    // Header names must match exactly: these are not Transfer-Encoding, so the request has Content-Length framing.
    for name in ["Transfer-Encoding ", "Transfer_Encoding", " Transfer-Encoding", "Transfer-Encoding\u{B}"] {
        let events = parseWhole("POST / HTTP/1.1\r\n\(host)Content-Length: 3\r\n\(name): chunked\r\n\r\nabc")
        if case .error(let error) = events.last {
            #expect(error.status == 400, "\(name.debugDescription)")
        } else {
            // Accepted as an unknown header: the body must then be Content-Length framed.
            #expect(events.dropFirst() == [.body(bytes("abc")), .end], "\(name.debugDescription)")
        }
    }
    // A vertical tab or form feed inside the value is a control character.
    expectError("POST / HTTP/1.1\r\n\(host)Transfer-Encoding: \u{B}chunked\r\n\r\n0\r\n\r\n", 400)
    expectError("POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\u{C}\r\n\r\n0\r\n\r\n", 400)
    // CR inside a value cannot start a new field.
    expectError("POST / HTTP/1.1\r\n\(host)X: a\rTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400)
    // Content-Length after a body-less request line still frames the body.
    let events = parseWhole("GET / HTTP/1.1\r\n\(host)Content-Length: 4\r\n\r\nGET /x")
    #expect(events.dropFirst().prefix(1) == [.body(bytes("GET "))])
}

// MARK: - Chunked framing

private let chunkedHead = "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n"

@Test(arguments: [
    "\r\n\r\n",  // empty size
    "x\r\nabc\r\n0\r\n\r\n",  // non-hex
    "-1\r\n",
    "+1\r\nx\r\n0\r\n\r\n",
    "0x1\r\nx\r\n0\r\n\r\n",
    " 1\r\nx\r\n0\r\n\r\n",  // leading whitespace
    "1 x\r\nx\r\n0\r\n\r\n",  // garbage after BWS
    "00000000000000001\r\nx\r\n0\r\n\r\n",  // 17 hex digits
    "11111111111111111111\r\n",  // overflow
    "3\r\nabcX\r\n0\r\n\r\n",  // data longer than declared
    "3\r\nabc\n0\r\n\r\n",  // LF without CR after data
    "3\r\nabc\r0\r\n\r\n",  // CR without LF after data
    "3\nabc\r\n0\r\n\r\n",  // bare LF after size
    "3\rabc\r\n0\r\n\r\n",  // bare CR after size
    "3;ext\u{0}\r\nabc\r\n0\r\n\r\n",  // NUL in extension
    "3;a\nb\r\nabc\r\n0\r\n\r\n",  // bare LF in extension
    "3;a\rb\r\nabc\r\n0\r\n\r\n",  // bare CR in extension
    "0\r\nT : v\r\n\r\n",  // space before colon in trailer
    "0\r\nT: v\r\n w\r\n\r\n",  // obs-fold in trailer
    "0\r\n: v\r\n\r\n",  // empty trailer name
    "0\r\nT: v\u{1}\r\n\r\n",  // control char in trailer value
    "0\r\nT: v\n\r\n",  // bare LF in trailer
    "0\r\n\rX",  // bare CR at the end
    "0\r\nNoColon\r\n\r\n",
])
func malformedChunkedBodyIsRejectedWith400(body: String) {
    expectError(chunkedHead + body, 400)
    expectSameResultForEverySplit(bytes(chunkedHead + body))
}

@Test func chunkedBodyOverThePayloadLimitIsRejectedWith413AsSoonAsItIsExceeded() {
    let limits = HTTPLimits(maxPayloadSize: 10)
    let events = parseWhole(chunkedHead + "5\r\nhello\r\n6\r\n", limits: limits)
    #expect(events.count == 3)
    #expect(events[1] == .body(bytes("hello")))
    guard case .error(let error) = events.last else {
        Issue.record("no error: \(events)")
        return
    }
    #expect(error.status == 413)
    // Sixteen hex digits fit in 64 bits but are far over the limit.
    expectError(chunkedHead + "FFFFFFFFFFFFFFFF\r\n", 413)
    expectError(chunkedHead + "7FFFFFFFFFFFFFFF;x\r\n", 413, limits: HTTPLimits(maxPayloadSize: .max - 1))
}

@Test func chunkedBodyExactlyAtThePayloadLimitIsAccepted() {
    let limits = HTTPLimits(maxPayloadSize: 10)
    let events = parseWhole(chunkedHead + "5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n", limits: limits)
    #expect(events.dropFirst() == [.body(bytes("helloworld")), .end])
}

@Test func trailerSectionIsLimitedLikeTheHeaderBlock() {
    // The head's field lines take 47 bytes; a trailer line "T: <n digits>\r\n" takes n + 5.
    let limits = HTTPLimits(maxHeaderBytes: 50)
    let fits = String(repeating: "1", count: 45)
    #expect(parseWhole(chunkedHead + "0\r\nT: \(fits)\r\n\r\n", limits: limits).last == .end)
    let tooBig = parseWhole(chunkedHead + "0\r\nT: \(fits)2\r\n\r\n", limits: limits)
    guard case .error(let error) = tooBig.last else {
        Issue.record("no error: \(tooBig)")
        return
    }
    #expect(error.status == 431)
    let tooMany = parseWhole(chunkedHead + "0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits: HTTPLimits(maxHeaderCount: 2))
    guard case .error(let countError) = tooMany.last else {
        Issue.record("no error: \(tooMany)")
        return
    }
    #expect(countError.status == 431)
}

@Test func overlongChunkExtensionIsRejectedWith400() {
    let ext = String(repeating: "e", count: HTTPRequestParser.maxChunkExtensionLength)
    #expect(parseWhole(chunkedHead + "1;\(ext)\r\nx\r\n0\r\n\r\n").last == .end)
    expectError(chunkedHead + "1;\(ext)e\r\nx\r\n0\r\n\r\n", 400)
}

@Test func bodyBytesThatLookLikeFramingArePassedThrough() {
    let input = chunkedHead + "7\r\n0\r\n\r\nab\r\n0\r\n\r\n"
    #expect(parseWhole(input).dropFirst() == [.body(bytes("0\r\n\r\nab")), .end])
}

// MARK: - Parser state

@Test func errorsAreStickyUntilReset() {
    var parser = HTTPRequestParser()
    let bad = bytes("GET / HTTP/1.1\r\n\(host)Bad Header: x\r\n\r\n")
    guard case .error(let error) = bad.withUnsafeBytes({ parser.parse($0) }) else {
        Issue.record("no error")
        return
    }
    let good = bytes("GET / HTTP/1.1\r\n\(host)\r\n")
    #expect(good.withUnsafeBytes { parser.parse($0) } == .error(error))
    parser.reset()
    guard case .head = good.withUnsafeBytes({ parser.parse($0) }) else {
        Issue.record("reset did not recover")
        return
    }
}

@Test func resetDiscardsAPartiallyParsedRequest() {
    var parser = HTTPRequestParser()
    #expect(bytes("POST / HT").withUnsafeBytes { parser.parse($0) } == .needMore(consumed: 0))
    parser.reset()
    let good = bytes("GET /x HTTP/1.1\r\n\(host)\r\n")
    guard case .head(let head, _) = good.withUnsafeBytes({ parser.parse($0) }) else {
        Issue.record("no head")
        return
    }
    #expect(head.method == .get && head.target == 4..<6)
}

@Test func incompleteHeadIsScannedOnlyOnce() {
    var parser = HTTPRequestParser()
    var input = bytes("GET / HTTP/1.1\r\nHost: exa")
    #expect(input.withUnsafeBytes { parser.parse($0) } == .needMore(consumed: 0))
    #expect(parser.headBytesScanned == input.count)
    input += bytes("mple.com\r\nX: y")
    #expect(input.withUnsafeBytes { parser.parse($0) } == .needMore(consumed: 0))
    #expect(parser.headBytesScanned == input.count)
    input += bytes("\r\n\r\n")
    guard case .head(let head, let consumed) = input.withUnsafeBytes({ parser.parse($0) }) else {
        Issue.record("no head")
        return
    }
    #expect(consumed == input.count)
    #expect(head.headers.count == 2)
}

@Test func headerStorageIsReusedAcrossRequests() {
    var parser = HTTPRequestParser()
    let request = bytes("GET / HTTP/1.1\r\n\(host)A: 1\r\nB: 2\r\n\r\n")
    func parseOne() -> Int {
        let result = request.withUnsafeBytes { parser.parse($0) }
        guard case .head(let head, _) = result else { return -1 }
        #expect(head.headers.count == 3)
        _ = [UInt8]().withUnsafeBytes { parser.parse($0) }  // .end
        return head.headers.count
    }
    #expect(parseOne() == 3)
    let first = parser.headers.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
    for _ in 0..<10 { #expect(parseOne() == 3) }
    let later = parser.headers.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
    #expect(first == later)
    #expect(parser.headers.count == 3)
}

@Test func contractViolationDoesNotTrap() {
    var parser = HTTPRequestParser()
    #expect(bytes("GET / HTTP/1.1\r\n").withUnsafeBytes { parser.parse($0) } == .needMore(consumed: 0))
    // The caller drops bytes it was told to keep: the parser waits instead of reading past the buffer.
    #expect(bytes("GET").withUnsafeBytes { parser.parse($0) } == .needMore(consumed: 0))
    #expect([UInt8]().withUnsafeBytes { parser.parse($0) } == .needMore(consumed: 0))
}

@Test func negativeLimitsAreTreatedAsZero() {
    let limits = HTTPLimits(maxRequestLineLength: -1, maxHeaderBytes: -5, maxHeaderCount: -1, maxPayloadSize: -1)
    expectError("GET / HTTP/1.1\r\n\r\n", 414, limits: limits)
}

// MARK: - Helpers for the server

@Test func comparisonHelpersWorkOnRangesWithoutAllocating() {
    let input = bytes(
        "GET /Predict HTTP/1.1\r\nCONTENT-type: Application/JSON\r\nConnection: foo, Close\r\nHost: x\r\n\r\n"
    )
    input.withUnsafeBytes { buffer in
        #expect(HTTPRequestParser.equalsIgnoringCase(buffer, 23..<35, "content-type"))
        #expect(!HTTPRequestParser.equalsIgnoringCase(buffer, 23..<34, "content-type"))
        #expect(HTTPRequestParser.equals(buffer, 4..<12, "/Predict"))
        #expect(!HTTPRequestParser.equals(buffer, 4..<12, "/predict"))
        #expect(!HTTPRequestParser.equals(buffer, 4..<500, "/predict"))
        #expect(HTTPRequestParser.method(buffer, 0..<3) == .get)
        var parser = HTTPRequestParser()
        guard case .head(let head, _) = parser.parse(buffer) else {
            Issue.record("no head")
            return
        }
        let contentType = head.firstValue(forHeader: "content-type", in: buffer)
        #expect(contentType.map { HTTPRequestParser.equalsIgnoringCase(buffer, $0, "application/json") } == true)
        #expect(head.firstValue(forHeader: "accept", in: buffer) == nil)
        let connection = head.firstValue(forHeader: "connection", in: buffer) ?? 0..<0
        #expect(HTTPRequestParser.listContains(buffer, connection, "close"))
        #expect(!HTTPRequestParser.listContains(buffer, connection, "keep-alive"))
    }
}

// MARK: - Split equivalence

private let corpus: [String] = [
    "GET / HTTP/1.1\r\n\(host)\r\n",
    "\r\nGET /a?b=c HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    "POST /predict HTTP/1.1\r\n\(host)Content-Length: 13\r\nExpect: 100-continue\r\n\r\n{\"input\": 4.0}",
    "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n4;a=b\r\nWiki\r\n5\r\npedia\r\n0\r\nX: y\r\n\r\n",
    "GET /1 HTTP/1.1\r\n\(host)\r\nGET /2 HTTP/1.1\r\n\(host)\r\nPOST /3 HTTP/1.1\r\n\(host)Content-Length: 2\r\n\r\nok",
    "GET / HTTP/1.1\r\n\(host)Foo:   bar  \r\nEmpty:\r\n\r\n",
    "GET / HTTP/1.1\r\n\(host)",  // incomplete
    "POST / HTTP/1.1\r\n\(host)Content-Length: 10\r\n\r\nabc",  // incomplete body
    "GET / HTTP/1.1\n\(host)\r\n",
    "GET / HTTP/1.1\r\n\(host)Foo: bar\r\n baz\r\n\r\n",
    "GET / HTTP/1.1\r\nHost : x\r\n\r\n",
    "GET / HTTP/2.0\r\n\(host)\r\n",
    "GET / HTTP/1.1\r\n\r\n",
    "POST / HTTP/1.1\r\n\(host)Content-Length: 1\r\nContent-Length: 2\r\n\r\nab",
    "POST / HTTP/1.1\r\n\(host)Content-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: gzip, chunked\r\n\r\n",
    "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\nZ\r\n",
    "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n3\r\nabcde\r\n",
    "G@T / HTTP/1.1\r\n\r\n",
    "GET /" + String(repeating: "x", count: 40) + " HTTP/1.1\r\n\(host)\r\n",  // 414 with the small limits
    "GET / HTTP/1.1\r\n\(host)X: " + String(repeating: "y", count: 60) + "\r\n\r\n",  // 431 with the small limits
    "GET / HTTP/1.1\r\n\(host)A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n",  // 431 (count) with the small limits
    "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n10\r\n0123456789abcdef\r\n",
    "GET / HTTP/1.1\r\n\(host)\r\n\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\n\(host)\r\n",
]

@Test(arguments: corpus)
func everySplitOfTheInputGivesTheSameResult(input: String) {
    expectSameResultForEverySplit(bytes(input))
    expectSameResultForEverySplit(
        bytes(input),
        limits: HTTPLimits(maxRequestLineLength: 40, maxHeaderBytes: 60, maxHeaderCount: 4, maxPayloadSize: 20)
    )
}

@Test func everySplitOfRandomMutationsGivesTheSameResult() {
    var rng = SplitMix(state: 42)
    let alphabet = bytes("\r\n :;,\t0aA9fFzZ-\u{0}\u{7F}") + [0x80, 0xFF]
    for round in 0..<150 {
        var input = bytes(corpus[round % corpus.count])
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            let at = Int.random(in: 0..<input.count, using: &rng)
            let byte = alphabet[Int.random(in: 0..<alphabet.count, using: &rng)]
            switch Int.random(in: 0..<3, using: &rng) {
            case 0: input[at] = byte
            case 1: input.insert(byte, at: at)
            default: input.remove(at: at)
            }
        }
        expectSameResultForEverySplit(
            input,
            limits: HTTPLimits(maxRequestLineLength: 40, maxHeaderBytes: 60, maxHeaderCount: 4, maxPayloadSize: 20)
        )
    }
}
