import Testing

@_spi(Benchmarks) @testable import LitUV

// AcceptEncoding: RFC 9110 §12.5.3 on field values given as raw bytes.

private func parsed(_ value: String) -> AcceptEncoding {
    Array(value.utf8).withUnsafeBytes { AcceptEncoding(parsing: $0) }
}

private func acceptsGzip(_ value: String) -> Bool {
    Array(value.utf8).withUnsafeBytes { AcceptEncoding.acceptsGzip($0) }
}

@Test(arguments: [
    // What clients send.
    "gzip", "gzip, deflate", "gzip, deflate, br, zstd", "br;q=1.0, gzip;q=0.8, *;q=0.1", "deflate, gzip;q=1.0, *;q=0.5",
    // Case, x-gzip, whitespace, empty elements.
    "GZIP", "GZip", "x-gzip", "X-GZIP", " gzip ", "\tgzip\t", "br , gzip", ",, gzip ,", "gzip ;q=0.5", "gzip; q=0.5",
    "gzip \t;\t q=0.5", "gzip;Q=0.5",
    // Weights at the edges of the grammar.
    "gzip;q=1", "gzip;q=1.", "gzip;q=1.0", "gzip;q=1.000", "gzip;q=0.001", "gzip;q=0.5", "gzip;q=0.50",
    // The wildcard stands for gzip when gzip is not named.
    "*", "*;q=0.5", "br, *", "identity;q=0, *",
])
func gzipIsAcceptable(_ value: String) {
    #expect(acceptsGzip(value), "\(value.debugDescription)")
}

@Test(arguments: [
    // Refused by name, even when * would accept it.
    "gzip;q=0", "gzip;q=0.0", "gzip;q=0.000", "gzip;q=0.", "GZIP;Q=0", "x-gzip;q=0", "gzip;q=0, *", "*, gzip;q=0",
    "*;q=1, x-gzip;q=0",
    // Not named, no wildcard, or the wildcard refuses.
    "", " ", ",", "br", "deflate, br, zstd", "identity", "*;q=0", "br, *;q=0", "gzipx", "gzip-x", "xgzip",
    // Malformed weights refuse the coding (strict).
    "gzip;q=abc", "gzip;q=", "gzip;q", "gzip;", "gzip;q=1.5", "gzip;q=2", "gzip;q=1.001", "gzip;q=0.1234",
    "gzip;q=.5", "gzip;q=-1", "gzip;q =0.5", "gzip;q= 0.5", "gzip;q=0.5;level=1", "gzip;level=1", "gzip foo",
    "gzip;q=0.5 x", "gzip/1", "gzip;q=\"1\"",
    // A coding listed twice gets its lowest weight.
    "gzip, gzip;q=0", "gzip;q=0.5, x-gzip;q=0",
    // A malformed wildcard refuses what it covers.
    "*;q=high",
])
func gzipIsNotAcceptable(_ value: String) {
    #expect(!acceptsGzip(value), "\(value.debugDescription)")
}

@Test func elementsWithoutACodingAreIgnored() {
    #expect(acceptsGzip(";q=0, gzip"))
    #expect(acceptsGzip("gzip, ;q=0"))
    #expect(!acceptsGzip(";q=1"))
}

@Test func identityIsAcceptableUnlessRefused() {
    #expect(parsed("").acceptsIdentity)
    #expect(parsed("gzip").acceptsIdentity)
    #expect(parsed("*;q=0, identity").acceptsIdentity)
    #expect(!parsed("identity;q=0").acceptsIdentity)
    #expect(!parsed("gzip, *;q=0").acceptsIdentity)
    #expect(!parsed("identity;q=abc").acceptsIdentity)
}

@Test func gzipIsPreferredUnlessIdentityRanksHigher() {
    #expect(parsed("gzip").prefersGzip)
    #expect(parsed("gzip;q=0.1").prefersGzip)  // identity not named: it ranks below named codings
    #expect(parsed("gzip;q=0.5, identity;q=0.5").prefersGzip)  // a tie goes to gzip
    #expect(parsed("*;q=0.5").prefersGzip)  // * covers both: a tie
    #expect(!parsed("gzip;q=0.5, identity").prefersGzip)
    #expect(!parsed("*;q=0.5, identity").prefersGzip)
    #expect(!parsed("gzip;q=0").prefersGzip)
    #expect(!parsed("br").prefersGzip)
}

@Test func weightsAreKeptInThousandths() {
    #expect(parsed("gzip;q=0.125").gzip == 125)
    #expect(parsed("gzip;q=0.5").gzip == 500)
    #expect(parsed("gzip;q=0.05").gzip == 50)
    #expect(parsed("gzip").gzip == 1000)
    #expect(parsed("br").gzip == nil)
    #expect(parsed("*;q=0.3").any == 300)
    #expect(parsed("identity;q=0.7").identity == 700)
}

@Test func severalFieldLinesFormOneList() {
    var value = parsed("br")
    #expect(!value.acceptsGzip)
    Array("gzip;q=0.5".utf8).withUnsafeBytes { value.add($0) }
    #expect(value.acceptsGzip)
    Array("x-gzip;q=0".utf8).withUnsafeBytes { value.add($0) }
    #expect(!value.acceptsGzip)
}

@Test func aRequestHeadIsReadAcrossItsAcceptEncodingFields() throws {
    func read(_ request: String) throws -> AcceptEncoding? {
        let bytes = Array(request.utf8)
        return try bytes.withUnsafeBytes { buffer in
            var parser = HTTPRequestParser()
            guard case .head(let head, _) = parser.parse(buffer) else {
                Issue.record("no head for \(request.debugDescription)")
                throw InflateError(description: "no head")
            }
            return AcceptEncoding(head: head, in: buffer)
        }
    }
    let none = try read("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    #expect(none == nil, "no field: send identity")
    let one = try read("GET / HTTP/1.1\r\nHost: a\r\naccept-encoding: gzip, br\r\n\r\n")
    #expect(one?.acceptsGzip == true)
    let two = try read("GET / HTTP/1.1\r\nHost: a\r\nAccept-Encoding: br\r\nAccept-Encoding: *\r\n\r\n")
    #expect(two?.acceptsGzip == true)
    let refused = try read("GET / HTTP/1.1\r\nHost: a\r\nAccept-Encoding: *\r\nACCEPT-ENCODING: gzip;q=0\r\n\r\n")
    #expect(refused?.acceptsGzip == false)
    let empty = try read("GET / HTTP/1.1\r\nHost: a\r\nAccept-Encoding:\r\n\r\n")
    #expect(empty?.acceptsGzip == false)
    #expect(empty?.acceptsIdentity == true)
}
