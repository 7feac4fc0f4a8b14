/// Reads a multipart part's header block (RFC 7578 §4.2, RFC 2046 §5.1.1) into a ``MultipartPart`` without its body:
/// the header fields, `Content-Disposition: form-data; name="..."; filename="..."` (or `filename*=UTF-8''...`) and
/// `Content-Type`.
///
/// The block has already been split from the body by ``MultipartParser``, which guarantees that every LF in it is
/// preceded by CR. Field lines are `name ":" OWS value OWS`; obsolete line folding (a line starting with SP or HTAB),
/// a bare CR, whitespace before the colon, control characters and values that are not UTF-8 are refused (400).
enum MultipartPartHeaders {
    /// Parses a header block.
    /// - Parameters:
    ///   - block: The field lines, each ending in CRLF, without the empty line that ends the block.
    ///   - index: The part's position in the body (1-based), for error details.
    /// - Returns: A part with every property but `body` set.
    /// - Throws: ``FormError`` 400 for a malformed block, a missing or non-`form-data` `Content-Disposition`, a
    ///   missing name or a malformed `Content-Type`.
    static func parse(_ block: [UInt8], index: Int) throws(FormError) -> MultipartPart {
        var headers: [(name: String, value: String)] = []
        var disposition: [UInt8]?
        var contentType: String?
        var lineStart = 0
        while lineStart < block.count {
            var lineEnd = lineStart
            while block[lineEnd] != UInt8(ascii: "\r") { lineEnd += 1 }  // every line ends with CRLF
            guard lineEnd + 1 < block.count, block[lineEnd + 1] == UInt8(ascii: "\n") else {
                throw .malformed("part \(index) has a CR without LF in its headers")
            }
            let (name, valueRange) = try field(block, lineStart..<lineEnd, index: index)
            let valueBytes = Array(block[valueRange])
            guard let value = String(validating: valueBytes, as: UTF8.self) else {
                throw .malformed("part \(index) has a header value that is not UTF-8")
            }
            headers.append((name, value))
            switch name.lowercased() {
            case "content-disposition":
                guard disposition == nil else { throw .malformed("part \(index) has two Content-Disposition fields") }
                disposition = valueBytes
            case "content-type":
                guard contentType == nil else { throw .malformed("part \(index) has two Content-Type fields") }
                guard MediaType(parsing: valueBytes) != nil else {
                    throw .malformed("part \(index) has an invalid Content-Type")
                }
                contentType = value
            default:
                break
            }
            lineStart = lineEnd + 2
        }
        guard let disposition else { throw .malformed("part \(index) has no Content-Disposition") }
        let (name, filename) = try formData(disposition, index: index)
        return MultipartPart(name: name, filename: filename, contentType: contentType, headers: headers)
    }

    /// Splits one field line into its name and the range of its value (OWS trimmed).
    private static func field(
        _ block: [UInt8],
        _ line: Range<Int>,
        index: Int
    ) throws(FormError) -> (String, Range<Int>) {
        guard let first = line.first.map({ block[$0] }) else {
            throw .malformed("part \(index) has an empty header line")
        }
        if FormSyntax.isWhitespace(first) {
            throw .malformed("part \(index) has a folded header line (obsolete line folding is refused)")
        }
        var i = line.lowerBound
        while i < line.upperBound, FormSyntax.isTokenChar(block[i]) { i += 1 }
        guard i > line.lowerBound, i < line.upperBound, block[i] == UInt8(ascii: ":") else {
            throw .malformed("part \(index) has a malformed header line")
        }
        let name = String(decoding: block[line.lowerBound..<i], as: UTF8.self)
        var start = i + 1
        var end = line.upperBound
        while start < end, FormSyntax.isWhitespace(block[start]) { start += 1 }
        while end > start, FormSyntax.isWhitespace(block[end - 1]) { end -= 1 }
        for c in block[start..<end] where !FormSyntax.isQuotable(c) {
            throw .malformed("part \(index) has a control character in a header value")
        }
        return (name, start..<end)
    }

    /// Reads `form-data; name="..."[; filename="..."][; filename*=...]` (RFC 7578 §4.2, RFC 6266 §4.1).
    /// - Returns: The name and the filename (`filename*` preferred when both are sent).
    private static func formData(_ value: [UInt8], index: Int) throws(FormError) -> (String, String?) {
        var i = 0
        guard let type = FormSyntax.token(value, &i), FormSyntax.lowercasedString(value, type) == "form-data" else {
            throw .malformed("part \(index) has a Content-Disposition other than form-data")
        }
        guard let parameters = FormSyntax.parameters(value, from: i, whitespaceAroundEquals: true) else {
            throw .malformed("part \(index) has a malformed Content-Disposition")
        }
        var name: String?
        var filename: String?
        var extendedFilename: String?
        var seen: Set<String> = []
        for parameter in parameters {
            guard seen.insert(parameter.name).inserted else {
                throw .malformed("part \(index) repeats the Content-Disposition parameter \(parameter.name)")
            }
            switch parameter.name {
            case "name":
                guard let text = String(validating: parameter.value, as: UTF8.self) else {
                    throw .malformed("part \(index) has a name that is not UTF-8")
                }
                name = text
            case "filename":
                guard let text = String(validating: parameter.value, as: UTF8.self) else {
                    throw .malformed("part \(index) has a filename that is not UTF-8")
                }
                filename = text
            case "filename*":
                guard let text = FormSyntax.extendedValue(parameter.value) else {
                    throw .malformed("part \(index) has a malformed filename* (expected UTF-8''percent-encoded)")
                }
                extendedFilename = text
            default:
                break
            }
        }
        guard let name, !name.isEmpty else { throw .malformed("part \(index) has no name") }
        return (name, extendedFilename ?? filename)
    }
}
