import Testing

@testable import LitUV

private func parse(_ text: String, limits: FormLimits = .init()) throws(FormError) -> URLEncodedForm {
    try URLEncodedForm(parsing: Array(text.utf8), limits: limits)
}

private func expectError(
    _ text: String,
    _ status: Int,
    _ detailPart: String,
    limits: FormLimits = .init(),
    sourceLocation: SourceLocation = #_sourceLocation
) {
    do throws(FormError) {
        let form = try parse(text, limits: limits)
        Issue.record("\(text.debugDescription) parsed as \(form.fields)", sourceLocation: sourceLocation)
    } catch {
        #expect(error.status == status, "\(text.debugDescription)", sourceLocation: sourceLocation)
        #expect(error.detail.contains(detailPart), "\(error.detail)", sourceLocation: sourceLocation)
    }
}

@Suite struct URLEncodedFormTests {
    @Test func fieldsAreDecodedInOrder() throws {
        let form = try parse("a=1&b=two+words&c=%C3%A9t%c3%a9&a=%2B%26%3D%25&empty=&=nameless")
        #expect(form.fields.map(\.name) == ["a", "b", "c", "a", "empty", ""])
        #expect(form["a"] == "1")
        #expect(form.values("a") == ["1", "+&=%"])
        #expect(form["b"] == "two words")
        #expect(form["c"] == "été")
        #expect(form["empty"] == "")
        #expect(form[""] == "nameless")
        #expect(form["missing"] == nil)
        #expect(form.values("missing").isEmpty)
    }

    @Test func pythonRequestsBodyIsDecoded() throws {
        // requests.Request("POST", url, data={"q": "a b&c=d", "q ": "é"}).prepare().body
        let form = try parse("q=a+b%26c%3Dd&q+=%C3%A9")
        #expect(form.fields.map(\.name) == ["q", "q "])
        #expect(form.fields.map(\.value) == ["a b&c=d", "é"])
    }

    @Test func emptyPairsAreSkippedAndANameAloneHasAnEmptyValue() throws {
        let form = try parse("&&a=1&&b=2&&flag&x=y=z&")
        #expect(form.fields.map(\.name) == ["a", "b", "flag", "x"])
        #expect(form.fields.map(\.value) == ["1", "2", "", "y=z"])
        #expect(try parse("").fields.isEmpty)
        #expect(try parse("&").fields.isEmpty)
    }

    @Test func badEscapesAreRefused() {
        for bad in ["a=%", "a=%4", "a=%G1", "a=%1G", "a=1%", "%=1", "a=%%41", "a=%4&b=1", "a=% 1"] {
            expectError(bad, 400, "two hexadecimal digits")
        }
    }

    @Test func invalidUTF8AfterDecodingIsRefused() {
        for bad in ["a=%FF", "a=%C3", "%C3%28=1", "a=%ED%A0%80", "a=%C0%AF"] {
            expectError(bad, 400, "not UTF-8")
        }
        #expect(throws: FormError.self) { try URLEncodedForm(parsing: [0x61, 0x3D, 0xFF]) }
    }

    @Test func limitsAre413() throws {
        #expect(try parse("a=1&b=2", limits: FormLimits(maxParts: 2)).fields.count == 2)
        expectError("a=1&b=2&c=3", 413, "more than 2 fields", limits: FormLimits(maxParts: 2))
        #expect(try parse("a=%41%41%41", limits: FormLimits(maxFieldBytes: 3))["a"] == "AAA")
        expectError("a=AAAA", 413, "larger than 3 bytes", limits: FormLimits(maxFieldBytes: 3))
        expectError("AAAA=1", 413, "larger than 3 bytes", limits: FormLimits(maxFieldBytes: 3))
        #expect(try parse("a=12", limits: FormLimits(maxTotalBytes: 4))["a"] == "12")
        expectError("a=123", 413, "larger than 4 bytes", limits: FormLimits(maxTotalBytes: 4))
    }

    @Test func anyCollectionOfBytesIsAccepted() throws {
        let bytes = Array("a=1&b=%20".utf8)
        let lazy = try URLEncodedForm(parsing: bytes.lazy.map { $0 })  // not contiguous: copied
        #expect(lazy.fields.map(\.value) == ["1", " "])
        let slice = try URLEncodedForm(parsing: bytes[4...])
        #expect(slice["b"] == " ")
        let raw = try bytes.withUnsafeBytes { buffer throws(FormError) in try URLEncodedForm(parsing: buffer) }
        #expect(raw["a"] == "1")
    }
}
