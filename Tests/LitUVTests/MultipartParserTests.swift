import Testing

@testable import LitUV

// Every body here is parsed whole, one byte at a time, at every split and in random pieces (MultipartDriver.swift),
// and every way must give the same parts or the same error.

private let b = "XbOuNdArY"

/// A body made of `parts` (each the header lines and the content) with boundary `b`.
private func body(_ parts: [(headers: String, content: String)], boundary: String = b) -> String {
    var text = ""
    for part in parts { text += "--\(boundary)\r\n\(part.headers)\r\n\r\n\(part.content)\r\n" }
    return text + "--\(boundary)--\r\n"
}

private func field(_ name: String, _ value: String) -> (headers: String, content: String) {
    ("Content-Disposition: form-data; name=\"\(name)\"", value)
}

private func expectError(
    _ outcome: MultipartOutcome,
    _ status: Int,
    _ detailPart: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    guard case .error(let error) = outcome else {
        Issue.record("expected \(status) containing \"\(detailPart)\", got \(outcome)", sourceLocation: sourceLocation)
        return
    }
    #expect(error.status == status, sourceLocation: sourceLocation)
    #expect(error.detail.contains(detailPart), "\(error.detail)", sourceLocation: sourceLocation)
}

@Suite struct MultipartParserTests {
    @Test func fieldsAndAFileAreParsedInOrder() throws {
        let text = body([
            field("a", "1"),
            ("Content-Disposition: form-data; name=\"file\"; filename=\"x.bin\"\r\nContent-Type: image/png", "PNG"),
            field("a", "2"),
        ])
        let parts = try #require(parseMultipartEveryWay(text, boundary: b).parts)
        #expect(parts.map(\.name) == ["a", "file", "a"])
        #expect(parts.map { String(decoding: $0.body, as: UTF8.self) } == ["1", "PNG", "2"])
        #expect(parts[1].filename == "x.bin")
        #expect(parts[1].contentType == "image/png")
        #expect(parts[0].filename == nil && parts[0].contentType == nil)
    }

    @Test func formAccessorsFindFieldsAndFiles() throws {
        var parser = try MultipartParser(boundary: b)
        let text = body([
            field("a", "1"),
            ("Content-Disposition: form-data; name=\"file\"; filename=\"x.txt\"\r\nX-Extra:  kept  ", "data"),
            field("a", "2"),
            ("Content-Disposition: form-data; name=\"bin\"", "\u{FF}"),
        ])
        try Array(text.utf8).withUnsafeBytes { try parser.parse($0) }
        let form = try parser.finish()
        #expect(form[field: "a"] == "1")
        #expect(form[field: "file"] == nil)  // a file is not a field
        #expect(form[field: "missing"] == nil)
        #expect(form.parts(named: "a").map(\.text) == ["1", "2"])
        let file = try #require(form.file("file"))
        #expect(file.isFile && file.text == "data")
        #expect(file.header("x-extra") == "kept")
        #expect(file.header("CONTENT-DISPOSITION") == "form-data; name=\"file\"; filename=\"x.txt\"")
        #expect(file.mediaType == MediaType(type: "text", subtype: "plain"))  // RFC 7578 default
        #expect(form.file("a")?.text == "1")  // no part named a has a filename: the first part named a
        #expect(form.file("missing") == nil)
    }

    @Test func curlWireShapeIsParsed() throws {
        let parts = try #require(parseMultipartEveryWay(curlBody, boundary: curlBoundary).parts)
        #expect(parts.map(\.name) == ["field", "file", "notes", "photo", "empty"])
        #expect(parts[0].body == Array("hello world".utf8))
        #expect(parts[1].filename == "data.bin")
        #expect(parts[1].contentType == "application/octet-stream")
        #expect(parts[1].body == fixtureFileBytes)
        #expect(parts[2].body == Array("plain text\r\nsecond line\n".utf8))
        #expect(parts[3].filename == "café ☕.gif")
        #expect(parts[3].contentType == "image/gif")
        #expect(parts[3].body == fixtureFileBytes)
        #expect(parts[4].body.isEmpty && parts[4].filename == nil)
        let contentType = try #require(MediaType(curlContentType))
        #expect(contentType[parameter: "boundary"] == curlBoundary)
    }

    @Test func pythonRequestsWireShapeIsParsed() throws {
        let parts = try #require(parseMultipartEveryWay(requestsBody, boundary: requestsBoundary).parts)
        #expect(parts.map(\.name) == ["field", "count", "file", "photo", "raw"])
        #expect(parts[2].body == fixtureFileBytes)
        #expect(parts[3].filename == "café ☕.gif")
        #expect(parts[3].body == Array("GIF89a\r\n--".utf8))
        #expect(parts[4].filename == "notes.txt" && parts[4].contentType == nil)
        #expect(parts[4].body == Array("plain text\r\nsecond line\n".utf8))
    }

    @Test func crlfDashesAndBoundaryLookalikesInContentStayContent() throws {
        let content = [
            "\r\n", "--", "\r\n--", "\r\n--XbOu", "--\(b)", "x--\(b)--", "\r\n--\(b)X", "\r\n--\(b)-x",
            "\r\n--\(b)-", "\r\r\n--XbOuNdArZ", "\r", "\r\n-",
        ]
        .joined(separator: "|")
        let text = body([("Content-Disposition: form-data; name=\"f\"; filename=\"f\"", content)])
        let parts = try #require(parseMultipartEveryWay(text, boundary: b).parts)
        #expect(parts.count == 1)
        #expect(parts.first?.body == Array(content.utf8))
    }

    @Test func contentEndingInPartialDelimitersIsKept() throws {
        for tail in ["\r", "\r\n", "\r\n-", "\r\n--", "\r\n--XbOuNdAr", "\r\n--\(b)-"] {
            let text = body([field("a", "x" + tail), field("b", "y")])
            let parts = try #require(parseMultipartEveryWay(text, boundary: b).parts, "\(tail.debugDescription)")
            #expect(parts.map(\.body) == [Array(("x" + tail).utf8), Array("y".utf8)], "\(tail.debugDescription)")
        }
    }

    @Test func emptyPartsAndEmptyFormsAreAccepted() throws {
        let text = body([
            field("a", ""), ("Content-Disposition: form-data; name=\"f\"; filename=\"\"", ""), field("c", ""),
        ])
        let parts = try #require(parseMultipartEveryWay(text, boundary: b).parts)
        #expect(parts.map(\.name) == ["a", "f", "c"])
        #expect(parts.allSatisfy { $0.body.isEmpty })
        #expect(parts[1].filename == "")
        #expect(parseMultipartEveryWay("--\(b)--", boundary: b) == .form([]))
        #expect(parseMultipartEveryWay("--\(b)--\r\n", boundary: b) == .form([]))
    }

    @Test func preambleEpilogueAndTransportPaddingAreIgnored() throws {
        let text =
            "This is the preamble.\r\n--\(b)-x is not a boundary\r\n--\(b) \t \r\n"
            + "Content-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--\(b)\t\r\n"
            + "Content-Disposition: form-data; name=\"b\"\r\n\r\n2\r\n--\(b)--  \r\nepilogue\r\n--\(b)\r\njunk"
        let parts = try #require(parseMultipartEveryWay(text, boundary: b).parts)
        #expect(parts.map(\.name) == ["a", "b"])
        #expect(parts.map(\.body) == [Array("1".utf8), Array("2".utf8)])
    }

    @Test func unicodeAndEscapedFilenamesAreDecoded() throws {
        let cases: [(String, String)] = [
            ("filename=\"日本語 ファイル.png\"", "日本語 ファイル.png"),
            ("filename=\"a\\\"b\\\\c.txt\"", "a\"b\\c.txt"),
            ("filename=plain.txt", "plain.txt"),
            ("filename=\"fallback.txt\"; filename*=UTF-8''%E2%82%AC%20rates.txt", "€ rates.txt"),
            ("filename*=utf-8'en'%C3%A9t%C3%A9.txt; filename=\"ete.txt\"", "été.txt"),
            ("filename*=ISO-8859-1''caf%E9.txt", "café.txt"),
            ("FILENAME = \"spaced.txt\" ", "spaced.txt"),
        ]
        for (parameters, expected) in cases {
            let text = body([("Content-Disposition: form-data; name=\"f\"; \(parameters)", "x")])
            let parts = try #require(parseMultipartEveryWay(text, boundary: b).parts, "\(parameters)")
            #expect(parts.first?.filename == expected, "\(parameters)")
        }
    }

    @Test func missingClosingBoundaryIsRefused() {
        let complete = body([field("a", "1")])
        expectError(parseMultipartEveryWay(String(complete.dropLast(4)), boundary: b), 400, "closing boundary")
        expectError(parseMultipartEveryWay(String(complete.dropLast(3)), boundary: b), 400, "closing boundary")
        expectError(parseMultipartEveryWay("--\(b)\r\nContent-Disp", boundary: b), 400, "closing boundary")
        expectError(parseMultipartEveryWay("no boundary here", boundary: b), 400, "no boundary line")
        expectError(parseMultipartEveryWay("", boundary: b), 400, "no boundary line")
    }

    @Test func badBoundaryParametersAreRefused() throws {
        for bad in ["", String(repeating: "a", count: 71), "ends in space ", "semi;colon", "quote\"", "tab\t", "é"] {
            #expect(throws: FormError.self, "\(bad.debugDescription)") { try MultipartParser(boundary: bad) }
        }
        _ = try MultipartParser(boundary: String(repeating: "a", count: 70))
        _ = try MultipartParser(boundary: "'()+_,-./:=? x")
        let withType = try #require(MediaType("Multipart/Form-Data; boundary=\"a b\""))
        #expect(try MultipartParser(contentType: withType).boundary == "a b")
        for type in ["multipart/form-data", "multipart/mixed; boundary=x", "text/plain; boundary=x"] {
            let mediaType = try #require(MediaType(type))
            #expect(throws: FormError.self, "\(type)") { try MultipartParser(contentType: mediaType) }
        }
    }

    @Test func malformedBoundaryLinesAreRefused() {
        expectError(
            parseMultipartEveryWay("--\(b)\nContent-Disposition: form-data; name=a\n\n1\n--\(b)--\n", boundary: b),
            400,
            "bare LF"
        )
        expectError(parseMultipartEveryWay("--\(b)  x\r\n", boundary: b), 400, "characters after the boundary")
        expectError(parseMultipartEveryWay("--\(b)\rx", boundary: b), 400, "CR without LF")
        let padded = "--\(b)\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--\(b) \n"
        expectError(parseMultipartEveryWay(padded, boundary: b), 400, "bare LF")
    }

    @Test func malformedPartHeadersAreRefused() {
        let cases: [(String, String)] = [
            ("Content-Disposition: form-data; name=\"a\"\nX: y", "bare LF"),
            ("Content-Disposition: form-data;\r\n name=\"a\"", "folded"),
            ("Content-Disposition: form-data; filename=\"a\"", "no name"),
            ("Content-Disposition: form-data; name=\"\"", "no name"),
            ("X-Other: 1", "no Content-Disposition"),
            ("Content-Disposition: attachment; name=\"a\"", "other than form-data"),
            ("Content-Disposition: form-data; name=\"a", "malformed Content-Disposition"),
            ("Content-Disposition: form-data; name=\"a\"; name=\"b\"", "repeats"),
            ("Content-Disposition: form-data; name=\"a\"\r\nContent-Type: image", "invalid Content-Type"),
            (
                "Content-Disposition: form-data; name=\"a\"\r\nContent-Type: a/b\r\nContent-Type: a/b",
                "two Content-Type"
            ),
            ("Content-Disposition: form-data; name=\"a\"\r\nNo colon", "malformed header line"),
            ("Content-Disposition: form-data; name=\"a\"\r\nX : y", "malformed header line"),
            ("Content-Disposition: form-data; name=\"a\"\r\nX: a\u{1}b", "control character"),
            ("Content-Disposition: form-data; name=\"a\"\rX: y", "CR without LF"),
            ("Content-Disposition: form-data; name=\"a\"; filename*=UTF-8''%E2%82", "filename*"),
            ("Content-Disposition: form-data; name=\"a\"; filename*=KOI8-R''x", "filename*"),
        ]
        for (headers, detail) in cases {
            expectError(parseMultipartEveryWay(body([(headers, "x")]), boundary: b), 400, detail)
        }
        expectError(parseMultipartEveryWay("--\(b)\r\n\r\nx\r\n--\(b)--", boundary: b), 400, "no Content-Disposition")
        let latin1: [UInt8] =
            Array("--\(b)\r\nContent-Disposition: form-data; name=\"".utf8) + [0xE9]
            + Array("\"\r\n\r\nx\r\n--\(b)--".utf8)
        expectError(parseMultipartEveryWay(latin1, boundary: b), 400, "not UTF-8")
    }

    @Test func tooManyPartsIs413() throws {
        let limits = FormLimits(maxParts: 3)
        let three = body([field("a", "1"), field("b", "2"), field("c", "3")])
        #expect(parseMultipartEveryWay(three, boundary: b, limits: limits).parts?.count == 3)
        let four = body([field("a", "1"), field("b", "2"), field("c", "3"), field("d", "4")])
        expectError(parseMultipartEveryWay(four, boundary: b, limits: limits), 413, "more than 3 parts")
    }

    @Test func partLimitsAre413() throws {
        let limits = FormLimits(maxPartBytes: 10, maxPartHeaderBytes: 60, maxFieldBytes: 5)
        let fileHeaders = "Content-Disposition: form-data; name=\"f\"; filename=\"f\""
        #expect(parseMultipartEveryWay(body([(fileHeaders, "0123456789")]), boundary: b, limits: limits).parts != nil)
        expectError(
            parseMultipartEveryWay(body([(fileHeaders, "0123456789A")]), boundary: b, limits: limits),
            413,
            "file 'f' is larger than 10"
        )
        #expect(parseMultipartEveryWay(body([field("a", "01234")]), boundary: b, limits: limits).parts != nil)
        expectError(
            parseMultipartEveryWay(body([field("a", "012345")]), boundary: b, limits: limits),
            413,
            "field 'a' is larger than 5"
        )
        // The header block counts its CRLFs and the empty line: 58 + 2 = 60 fits, 61 does not.
        func headers(_ n: Int) -> String {
            "Content-Disposition: form-data; name=\"a\"; x=\"" + String(repeating: "y", count: n) + "\""
        }
        #expect(headers(10).utf8.count + 4 == 60)
        #expect(parseMultipartEveryWay(body([(headers(10), "1")]), boundary: b, limits: limits).parts != nil)
        expectError(
            parseMultipartEveryWay(body([(headers(11), "1")]), boundary: b, limits: limits),
            413,
            "headers of multipart part 1"
        )
    }

    @Test func totalLimitIs413() throws {
        let text = body([field("a", "1")])
        let size = text.utf8.count
        #expect(parseMultipartEveryWay(text, boundary: b, limits: FormLimits(maxTotalBytes: size)).parts != nil)
        expectError(
            parseMultipartEveryWay(text, boundary: b, limits: FormLimits(maxTotalBytes: size - 1)),
            413,
            "larger than \(size - 1) bytes"
        )
        // An error earlier in the body wins, however the body is split.
        let bad = "--\(b)\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        expectError(parseMultipartEveryWay(bad, boundary: b, limits: FormLimits(maxTotalBytes: 20)), 400, "bare LF")
    }

    @Test func theExpectedLengthIsOnlyAHint() throws {
        let files = (1...3).map { k in
            (
                "Content-Disposition: form-data; name=\"f\(k)\"; filename=\"f\(k)\"",
                String(repeating: "\(k)", count: 20_000)
            )
        }
        let input = Array(body(files).utf8)
        for hint in [nil, 0, 10, input.count, input.count * 3] {
            var parser = try MultipartParser(boundary: b, expectedBodyLength: hint)
            try input.withUnsafeBytes { raw in
                for start in stride(from: 0, to: raw.count, by: 4096) {
                    try parser.parse(UnsafeRawBufferPointer(rebasing: raw[start..<min(raw.count, start + 4096)]))
                }
            }
            let form = try parser.finish()
            #expect(form.parts.map(\.body) == files.map { Array($0.1.utf8) }, "\(String(describing: hint))")
            // A part that reserved the rest of the body is copied to its size when it ends.
            #expect(form.parts.allSatisfy { $0.body.capacity < 30_000 }, "\(String(describing: hint))")
        }
    }

    @Test func aFifteenMiBFileIsParsedInPieces() throws {
        var content = [UInt8](repeating: 0, count: 15 << 20)
        var rng = SplitMix(state: 15)
        for i in stride(from: 0, to: content.count, by: 8) {
            withUnsafeBytes(of: rng.next()) { word in
                for k in 0..<8 { content[i + k] = word[k] }
            }
        }
        // Delimiter lookalikes inside the data, one straddling each 64 KiB read.
        let lookalike = Array("\r\n--\(b)X".utf8)
        for k in 1...4 { content.replaceSubrange((k << 16 - 5)..<(k << 16 - 5 + lookalike.count), with: lookalike) }
        let input =
            Array("--\(b)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n\r\n".utf8)
            + content + Array("\r\n--\(b)--\r\n".utf8)
        for pieces in [[], Array(repeating: 65_536, count: 300), Array(repeating: 65_537, count: 300)] {
            let outcome = driveMultipart(input, boundary: b, pieces: pieces)
            let parts = try #require(outcome.parts)
            #expect(parts.count == 1)
            #expect(parts.first?.body == content)
        }
    }
}
