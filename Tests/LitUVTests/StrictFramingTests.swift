import Testing

@_spi(Benchmarks) @testable import LitUV

// Where RFC 9112 allows leniency, the parser takes the strict choice (an ambiguity in framing is a smuggling risk
// behind a proxy): the Host field must be a valid `uri-host [ ":" port ]`, Content-Length appears once with one
// number, chunked is the final transfer coding and appears once, and a chunk size line has no stray whitespace and
// no extension without a name. Every case is parsed whole, one byte at a time and split at every position
// (Support/ParserDriver.swift); BadInputTests checks a few of them over a socket.

private func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

/// Expects `input` to be rejected with `status` and a detail containing `reason`, with no head handed out, and the
/// same result for every way of splitting it.
private func expectRejected(
    _ input: String,
    _ status: Int,
    _ reason: String = "",
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let events = parseWhole(input)
    guard case .error(let error) = events.last, events.count == 1 || input.contains("chunked") else {
        Issue.record("expected \(status), got \(events) for \(input.debugDescription)", sourceLocation: sourceLocation)
        return
    }
    #expect(error.status == status, "\(error.detail) for \(input.debugDescription)", sourceLocation: sourceLocation)
    #expect(
        reason.isEmpty || error.detail.contains(reason),
        "\(error.detail.debugDescription) should say \(reason.debugDescription) for \(input.debugDescription)",
        sourceLocation: sourceLocation
    )
    expectSameResultForEverySplit(bytes(input), sourceLocation: sourceLocation)
}

/// Expects `input` to be parsed into one request ending with `.end`, the same for every way of splitting it.
private func expectAccepted(_ input: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let events = parseWhole(input)
    #expect(events.last == .end, "\(events) for \(input.debugDescription)", sourceLocation: sourceLocation)
    expectSameResultForEverySplit(bytes(input), sourceLocation: sourceLocation)
}

// MARK: - Host (RFC 9112 §3.2, RFC 3986 §3.2.2–3.2.3)

@Test(arguments: [
    "example.com", "example.com:8000", "EXAMPLE.com.", "localhost:0", "127.0.0.1", "127.0.0.1:65535",
    "999.1.1.1",  // not an IPv4 address, but a valid reg-name
    "xn--bcher-kva.example", "%65xample.com", "a!$&'()*+,;=b", "ex-ample_1.~com:00080",
    "[::1]", "[::1]:8080", "[::]", "[2001:db8::1]", "[1:2:3:4:5:6:7:8]", "[1:2:3:4:5:6:7::]", "[::ffff:192.0.2.1]:80",
    "[1:2:3:4:5:6:1.2.3.4]", "[FE80::A:b:C]", "[v1.fe80::a+en1]", "[V7F.x:y]",
])
func validHostValuesAreAccepted(value: String) {
    expectAccepted("GET / HTTP/1.1\r\nHost: \(value)\r\n\r\n")
    expectAccepted("GET / HTTP/1.1\r\nHost: \t \(value) \t\r\n\r\n")  // OWS around the value is not part of it
}

@Test(arguments: [
    ("exa mple.com", "host name"), ("example.com/path", "host name"), ("user@example.com", "host name"),
    ("example.com:", "empty port"), ("[::1]:", "empty port"), (":8000", "empty host"),
    ("example.com:65536", "65535"), ("example.com:99999", "65535"), ("example.com:000080", "65535"),
    ("example.com:-1", "65535"), ("example.com:80x", "65535"), ("example.com:8000:1", "65535"),
    ("::1", "empty host"), ("[::1", "host name"), ("::1]", "empty host"), ("[::1]]", "host name"),
    ("[::1]x", "host name"), ("[[::1]]", "host name"), ("[]", "host name"), ("[::1%25eth0]", "host name"),
    ("[1:2:3:4:5:6:7:8:9]", "host name"), ("[1:2:3:4:5:6:7]", "host name"), ("[1::2::3]", "host name"),
    ("[12345::]", "host name"), ("[:1::]", "host name"), ("[1:]", "host name"), ("[1:2:3:4:5:6:7:8::]", "host name"),
    ("[::1.2.3]", "host name"), ("[::256.1.1.1]", "host name"), ("[::01.1.1.1]", "host name"),
    ("[1.2.3.4]", "host name"), ("[::1.2.3.4:5]", "host name"), ("[v.x]", "host name"), ("[v1.]", "host name"),
    ("[vg.x]", "host name"), ("[v1.a/b]", "host name"), ("%zzexample", "host name"), ("%6", "host name"),
    ("exa^mple", "host name"), ("example.com#", "host name"), ("a\tb", "host name"), ("exa\u{80}mple", "host name"),
    ("a\"b", "host name"), ("a<b", "host name"),
])
func invalidHostValuesAreRejectedWith400(value: String, reason: String) {
    expectRejected("GET / HTTP/1.1\r\nHost: \(value)\r\n\r\n", 400, reason)
}

@Test func controlCharactersInHostAreRejectedWith400() {
    // Rejected by the field-value scan before the Host grammar sees them.
    for control in ["\u{0}", "\u{1}", "\u{1F}", "\u{7F}", "\r"] {
        expectRejected("GET / HTTP/1.1\r\nHost: exa\(control)mple.com\r\n\r\n", 400)
    }
}

@Test func emptyHostIsRejectedWith400EvenWhereTheRFCAllowsIt() {
    // RFC 9112 §3.2 allows an empty Host for a target URI without an authority; every target LitUV accepts stands for
    // an http(s) URI, whose host must not be empty (RFC 9110 §4.2.1), so an empty value is always rejected.
    expectRejected("GET / HTTP/1.1\r\nHost:\r\n\r\n", 400, "Empty Host")
    expectRejected("GET / HTTP/1.1\r\nHost:   \r\n\r\n", 400, "Empty Host")
    expectRejected("OPTIONS * HTTP/1.1\r\nHost:\r\n\r\n", 400, "Empty Host")
    expectRejected("GET http://example.com/ HTTP/1.1\r\nHost:\r\n\r\n", 400, "Empty Host")
    expectRejected("GET / HTTP/1.0\r\nHost:\r\n\r\n", 400, "Empty Host")
}

@Test func hostInHTTP10IsValidatedWhenPresent() {
    expectAccepted("GET / HTTP/1.0\r\nHost: example.com:80\r\n\r\n")
    expectRejected("GET / HTTP/1.0\r\nHost: example.com:80:80\r\n\r\n", 400, "Host")
}

@Test func absoluteFormTargetWinsButTheHostFieldMustStillBeValid() {
    // The target's authority is what counts; the Host value is not compared with it, only validated.
    expectAccepted("GET http://example.com:8000/health HTTP/1.1\r\nHost: other.example:81\r\n\r\n")
    expectRejected("GET http://example.com/health HTTP/1.1\r\nHost: bad host\r\n\r\n", 400, "Host")
    expectRejected("GET http://example.com/health HTTP/1.1\r\nHost: a:70000\r\n\r\n", 400, "65535")
    // The target's own port follows the same range (an empty port stays allowed there, as RFC 3986 has it).
    expectRejected("GET http://example.com:65536/ HTTP/1.1\r\nHost: a\r\n\r\n", 400, "port in request target")
    expectRejected("GET http://[1::2::3]/ HTTP/1.1\r\nHost: a\r\n\r\n", 400, "host in request target")
    expectAccepted("GET http://example.com:/ HTTP/1.1\r\nHost: a\r\n\r\n")
}

// MARK: - Content-Length (RFC 9112 §6.3: the strict choice)

@Test(arguments: [
    "Content-Length: 5\r\nContent-Length: 5\r\n",
    "Content-Length: 5\r\ncontent-length: 5\r\n",
    "Content-Length: 0\r\nContent-Length: 0\r\n",
])
func repeatedContentLengthIsRejectedWith400EvenWithTheSameValue(fields: String) {
    expectRejected("POST / HTTP/1.1\r\nHost: a\r\n\(fields)\r\nhello", 400, "Multiple Content-Length")
}

@Test(arguments: ["14, 14", "5,5", "5 , 5,5", "0, 0"])
func contentLengthListIsRejectedWith400EvenWithOneValue(value: String) {
    expectRejected("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \(value)\r\n\r\nhello", 400, "Content-Length")
}

// MARK: - Transfer-Encoding (RFC 9112 §6.1, §6.3, §7.1)

@Test(arguments: [
    ("chunked, gzip", "final coding"), ("chunked, chunked", "final coding"), ("chunked,chunked", "final coding"),
    ("gzip, deflate", "final coding"), ("gzip, chunked, chunked", "final coding"),
    ("chunked, identity", "final coding"),
    ("chunked;q=1", "no parameters"), ("chunked ; x=y", "no parameters"), ("gzip, chunked;x", "no parameters"),
])
func finalCodingOtherThanChunkedOrChunkedTwiceIsRejectedWith400(value: String, reason: String) {
    expectRejected("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \(value)\r\n\r\n0\r\n\r\n", 400, reason)
}

@Test func codingsSplitOverSeveralFieldsFollowTheSameRules() {
    let head = "POST / HTTP/1.1\r\nHost: a\r\n"
    expectRejected(head + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, "final")
    expectRejected(head + "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n0\r\n\r\n", 400, "final")
    expectRejected(head + "Transfer-Encoding: gzip\r\nTransfer-Encoding: br\r\n\r\n0\r\n\r\n", 400, "final")
    expectRejected(head + "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501, "Unsupported")
}

@Test func unknownCodingAloneStays501() {
    expectRejected("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "Unsupported")
    expectRejected("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: x-custom;level=2\r\n\r\n", 501, "Unsupported")
}

// MARK: - Chunk size lines (RFC 9112 §7.1, §7.1.1)

private let chunkedHead = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"

@Test(arguments: [
    ("5;\r\nhello\r\n0\r\n\r\n", "without a name"),
    ("5;=x\r\nhello\r\n0\r\n\r\n", "without a name"),
    ("5; \r\nhello\r\n0\r\n\r\n", "without a name"),
    ("5;;a\r\nhello\r\n0\r\n\r\n", "without a name"),
    ("5;a;\r\nhello\r\n0\r\n\r\n", "without a name"),
    ("5;a=\r\nhello\r\n0\r\n\r\n", "without a value"),
    ("5;a==b\r\nhello\r\n0\r\n\r\n", "without a name or value"),
    ("0;\r\n\r\n", "without a name"),
    ("e;\r\n", "without a name"),
])
func chunkExtensionWithoutANameOrValueIsRejectedWith400(body: String, reason: String) {
    expectRejected(chunkedHead + body, 400, reason)
}

@Test(arguments: [
    "5 \r\nhello\r\n0\r\n\r\n", "5\t\r\nhello\r\n0\r\n\r\n", "5 \t \r\nhello\r\n0\r\n\r\n", "0 \r\n\r\n",
    "5;a \r\nhello\r\n0\r\n\r\n", "5;a=b\t\r\nhello\r\n0\r\n\r\n", "5;a=\"b\" \r\nhello\r\n0\r\n\r\n",
])
func whitespaceBeforeTheEndOfAChunkSizeLineIsRejectedWith400(body: String) {
    expectRejected(chunkedHead + body, 400, "Whitespace before the end of a chunk size line")
}

@Test(arguments: [
    "5;a b\r\nhello\r\n0\r\n\r\n",  // two names
    "5;a=b c\r\nhello\r\n0\r\n\r\n",  // two values
    "5;a=b=c\r\nhello\r\n0\r\n\r\n",
    "5;a=\"b\"c\r\nhello\r\n0\r\n\r\n",
    "5;a=\"b\r\nhello\r\n0\r\n\r\n",  // unterminated quoted string
    "5;a=\"b\\\r\nhello\r\n0\r\n\r\n",  // quoted-pair escaping the CR
    "5;a=\"b\u{1}\"\r\nhello\r\n0\r\n\r\n",
    "5;a=b,c\r\nhello\r\n0\r\n\r\n",
    "5;a/b\r\nhello\r\n0\r\n\r\n",
])
func malformedChunkExtensionIsRejectedWith400(body: String) {
    expectRejected(chunkedHead + body, 400)
}

@Test(arguments: [
    "5;a\r\n", "5;a=b\r\n", "5 ;a\r\n", "5\t; a = b\r\n", "5;a;b=c;d\r\n", "5;a=\"\"\r\n", "5;a=\"q\\\"s \\\\ \t\"\r\n",
    "5;a=\"obs\u{E9}\"\r\n", "5 ; a = \"x\" ; b\r\n",
])
func validChunkExtensionsAreAccepted(line: String) {
    let input = chunkedHead + line + "hello\r\n0;end=\"1\"\r\n\r\n"
    #expect(parseWhole(input).dropFirst() == [.body(bytes("hello")), .end], "\(input.debugDescription)")
    expectSameResultForEverySplit(bytes(input))
}
