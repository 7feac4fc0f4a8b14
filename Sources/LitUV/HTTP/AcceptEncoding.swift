/// What a request's `Accept-Encoding` field says about gzip and identity (RFC 9110 §12.5.3), read from the raw
/// field bytes without allocating.
///
/// ```
/// Accept-Encoding = #( codings [ weight ] )       codings = content-coding / "identity" / "*"
/// weight = OWS ";" OWS "q=" qvalue                qvalue  = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
/// ```
///
/// Rules (RFC 9110 §12.5.3 and §8.4.1.3):
/// - Codings and the `q` are case-insensitive; `x-gzip` is `gzip`; OWS around elements, `;` and empty list elements
///   (`, ,gzip`) are allowed.
/// - A coding listed with a weight of 0 is refused. `*` stands for every coding not listed by name, so
///   `gzip;q=0, *` refuses gzip and `*;q=0.5` accepts it.
/// - An empty field value accepts no coding but identity; a field that names neither gzip nor `*` (`br, deflate`)
///   does not accept gzip.
///
/// Strict choices (the RFC leaves them open; each one errs toward sending the body as it is):
/// - An element with a malformed weight (`q=abc`, `q=1.5`, `q=0.1234`, `q=`, `q = 0.5`, `q=.5`), with a parameter
///   other than `q`, or with anything else after its coding (`gzip foo`) counts as that coding with weight 0:
///   refused. An element without a coding token (`;q=1`) is ignored.
/// - A coding listed more than once (also as `gzip` and `x-gzip`, or over several field lines) gets the lowest of
///   its weights.
/// - No `Accept-Encoding` field at all means "no preference" in the RFC, but like nginx and Starlette LitUV then
///   sends identity: the caller simply does not build an `AcceptEncoding` (see ``init(head:in:)``).
struct AcceptEncoding: Sendable, Equatable {
    /// A weight in thousandths (0...1000); `nil` for a coding the field does not name.
    typealias Weight = UInt16?

    /// The lowest weight given to `gzip` or `x-gzip`, if the field names either.
    private(set) var gzip: Weight = nil
    /// The lowest weight given to `identity`, if named.
    private(set) var identity: Weight = nil
    /// The lowest weight given to `*`, if present.
    private(set) var any: Weight = nil

    /// An empty field value: only identity is acceptable.
    init() {}

    /// Reads one `Accept-Encoding` field value.
    /// - Parameter value: The field value's bytes (OWS around it allowed).
    init(parsing value: UnsafeRawBufferPointer) {
        add(value)
    }

    /// Reads every `Accept-Encoding` field of a request head, as one list (RFC 9110 §5.3).
    /// - Parameters:
    ///   - head: A parsed request head.
    ///   - buffer: The buffer the head was parsed from.
    /// - Returns: `nil` when the request has no `Accept-Encoding` field (then send identity).
    init?(head: HTTPRequestHead, in buffer: UnsafeRawBufferPointer) {
        var found = false
        for field in head.headers
        where HTTPRequestParser.equalsIgnoringCase(buffer, field.name, "accept-encoding") {
            guard field.value.lowerBound >= 0, field.value.upperBound <= buffer.count else { continue }
            found = true
            add(UnsafeRawBufferPointer(rebasing: buffer[field.value]))
        }
        guard found else { return nil }
    }

    /// Whether `value` (one `Accept-Encoding` field value) makes gzip acceptable; the one call the write path needs.
    /// - Parameter value: The field value's bytes.
    /// - Returns: ``acceptsGzip`` of the parsed value.
    static func acceptsGzip(_ value: UnsafeRawBufferPointer) -> Bool {
        AcceptEncoding(parsing: value).acceptsGzip
    }

    /// Whether a gzip-coded response is acceptable: gzip (or `x-gzip`) named with a weight above 0, or not named
    /// and `*` present with a weight above 0.
    var acceptsGzip: Bool { (gzip ?? any ?? 0) > 0 }

    /// Whether an uncoded response is acceptable: refused only by `identity;q=0`, or by `*;q=0` without `identity`.
    var acceptsIdentity: Bool { (identity ?? any ?? 1) > 0 }

    /// Whether gzip is acceptable and not ranked below identity: `gzip;q=0.5, identity` prefers identity
    /// (RFC 9110 §12.5.3: the highest weight is preferred). Identity that the field leaves unnamed (and not covered
    /// by `*`) ranks below every named coding.
    var prefersGzip: Bool {
        guard acceptsGzip else { return false }
        guard let identityWeight = identity ?? any else { return true }
        return (gzip ?? any ?? 0) >= identityWeight
    }

    /// Adds another field value (a second `Accept-Encoding` line continues the list).
    /// - Parameter value: The field value's bytes.
    mutating func add(_ value: UnsafeRawBufferPointer) {
        HTTPRequestParser.forEachListElement(value, 0..<value.count) { element in
            addElement(value, element)
            return true
        }
    }

    private mutating func addElement(_ buffer: UnsafeRawBufferPointer, _ element: Range<Int>) {
        let tokenEnd = HTTPRequestParser.tokenEnd(buffer, element)
        let coding = element.lowerBound..<tokenEnd
        guard !coding.isEmpty else { return }  // no coding to attribute a weight to
        let weight = Self.weight(buffer, tokenEnd..<element.upperBound) ?? 0
        if HTTPRequestParser.equalsIgnoringCase(buffer, coding, "gzip")
            || HTTPRequestParser.equalsIgnoringCase(buffer, coding, "x-gzip")
        {
            gzip = Self.lower(gzip, weight)
        } else if HTTPRequestParser.equalsIgnoringCase(buffer, coding, "identity") {
            identity = Self.lower(identity, weight)
        } else if HTTPRequestParser.equalsIgnoringCase(buffer, coding, "*") {
            any = Self.lower(any, weight)
        }
    }

    private static func lower(_ current: Weight, _ new: UInt16) -> UInt16 {
        guard let current else { return new }
        return min(current, new)
    }

    /// The weight in the bytes after a coding: 1000 for nothing, the `q` value for `OWS ";" OWS "q=" qvalue`, and
    /// `nil` (malformed) for anything else. `range` ends at the element's end (trimmed of trailing OWS).
    private static func weight(_ buffer: UnsafeRawBufferPointer, _ range: Range<Int>) -> UInt16? {
        var j = range.lowerBound
        let end = range.upperBound
        while j < end, HTTPRequestParser.isOWS(HTTPRequestParser.load(buffer, j)) { j += 1 }
        if j == end { return 1000 }
        guard HTTPRequestParser.load(buffer, j) == .semicolon else { return nil }
        j += 1
        while j < end, HTTPRequestParser.isOWS(HTTPRequestParser.load(buffer, j)) { j += 1 }
        guard end - j >= 3, HTTPRequestParser.lowercased(HTTPRequestParser.load(buffer, j)) == UInt8(ascii: "q"),
            HTTPRequestParser.load(buffer, j + 1) == UInt8(ascii: "=")
        else { return nil }
        return qvalue(buffer, (j + 2)..<end)
    }

    /// `qvalue` exactly filling `range`, in thousandths: `0`, `0.`, `0.5`, `0.125`, `1`, `1.000`; `nil` otherwise.
    private static func qvalue(_ buffer: UnsafeRawBufferPointer, _ range: Range<Int>) -> UInt16? {
        guard !range.isEmpty, range.count <= 5 else { return nil }
        let first = HTTPRequestParser.load(buffer, range.lowerBound)
        guard first == UInt8(ascii: "0") || first == UInt8(ascii: "1") else { return nil }
        var thousandths: UInt16 = first == UInt8(ascii: "1") ? 1000 : 0
        guard range.count > 1 else { return thousandths }
        guard HTTPRequestParser.load(buffer, range.lowerBound + 1) == UInt8(ascii: ".") else { return nil }
        var scale: UInt16 = 100
        for j in (range.lowerBound + 2)..<range.upperBound {
            let b = HTTPRequestParser.load(buffer, j)
            guard HTTPRequestParser.isDigit(b) else { return nil }
            thousandths += UInt16(b &- UInt8(ascii: "0")) * scale
            scale /= 10
        }
        return thousandths <= 1000 ? thousandths : nil  // "1.5" and "1.001" are not qvalues
    }
}
