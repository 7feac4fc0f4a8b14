/// A parsed `application/x-www-form-urlencoded` body (the WHATWG URL standard's form encoding): `name=value` pairs
/// separated by `&`.
///
/// `+` decodes to a space and `%XX` to the byte XX; a `%` not followed by two hexadecimal digits is refused (400), as
/// is a name or value that is not UTF-8 once decoded. Empty pairs (`a=1&&b=2`, a leading or trailing `&`) are
/// skipped; a pair without `=` is a name with an empty value; only the first `=` separates (`a=b=c` is `a` → `b=c`).
/// Limits: the body over `maxTotalBytes`, more than `maxParts` fields, or a decoded name or value over
/// `maxFieldBytes` is a 413.
public struct URLEncodedForm: Sendable {
    /// The fields in the order sent; names may repeat.
    public var fields: [(name: String, value: String)]

    /// Creates a form from fields.
    /// - Parameter fields: The fields, in order.
    public init(fields: [(name: String, value: String)] = []) {
        self.fields = fields
    }

    /// Parses a body.
    /// - Parameters:
    ///   - body: The whole body.
    ///   - limits: The limits to enforce.
    /// - Throws: ``FormError`` 400 for a bad escape or invalid UTF-8, 413 over a limit.
    public init(parsing body: UnsafeRawBufferPointer, limits: FormLimits = .init()) throws(FormError) {
        guard body.count <= limits.maxTotalBytes else {
            throw .tooLarge("the form body is larger than \(limits.maxTotalBytes) bytes")
        }
        var fields: [(name: String, value: String)] = []
        var scratch: [UInt8] = []
        var start = 0
        while start <= body.count {
            var end = start
            while end < body.count, body[end] != UInt8(ascii: "&") { end += 1 }
            if end > start {
                var equals = start
                while equals < end, body[equals] != UInt8(ascii: "=") { equals += 1 }
                if fields.count == limits.maxParts {
                    throw .tooLarge("the form has more than \(limits.maxParts) fields")
                }
                let name = try Self.decode(body, start..<equals, limits: limits, scratch: &scratch)
                let value = try Self.decode(body, min(equals + 1, end)..<end, limits: limits, scratch: &scratch)
                fields.append((name, value))
            }
            start = end + 1
        }
        self.fields = fields
    }

    /// Parses a body held in any collection of bytes (copied first if it is not contiguous).
    /// - Parameters:
    ///   - body: The whole body.
    ///   - limits: The limits to enforce.
    /// - Throws: ``FormError`` 400 for a bad escape or invalid UTF-8, 413 over a limit.
    public init(parsing body: some Collection<UInt8>, limits: FormLimits = .init()) throws(FormError) {
        let parsed =
            body.withContiguousStorageIfAvailable { Self.result(UnsafeRawBufferPointer($0), limits: limits) }
            ?? Array(body).withUnsafeBytes { Self.result($0, limits: limits) }
        self = try parsed.get()
    }

    /// ``init(parsing:limits:)`` as a `Result` (for the closures of `withContiguousStorageIfAvailable`).
    private static func result(
        _ body: UnsafeRawBufferPointer,
        limits: FormLimits
    ) -> Result<URLEncodedForm, FormError> {
        do throws(FormError) {
            return .success(try URLEncodedForm(parsing: body, limits: limits))
        } catch {
            return .failure(error)
        }
    }

    /// The value of the first field with this name, or `nil`.
    public subscript(name: String) -> String? {
        fields.first { $0.name == name }?.value
    }

    /// The values of every field with this name, in order.
    /// - Parameter name: The field name.
    public func values(_ name: String) -> [String] {
        fields.filter { $0.name == name }.map(\.value)
    }

    /// Percent-decodes `body[range]` (`+` is a space) into text.
    private static func decode(
        _ body: UnsafeRawBufferPointer,
        _ range: Range<Int>,
        limits: FormLimits,
        scratch: inout [UInt8]
    ) throws(FormError) -> String {
        scratch.removeAll(keepingCapacity: true)
        var i = range.lowerBound
        while i < range.upperBound {
            let c = body[i]
            if c == UInt8(ascii: "%") {
                guard i + 2 < range.upperBound, let high = FormSyntax.hexValue(body[i + 1]),
                    let low = FormSyntax.hexValue(body[i + 2])
                else {
                    throw .malformed("the form has a '%' that is not followed by two hexadecimal digits")
                }
                scratch.append(high << 4 | low)
                i += 3
            } else {
                scratch.append(c == UInt8(ascii: "+") ? 0x20 : c)
                i += 1
            }
            if scratch.count > limits.maxFieldBytes {
                throw .tooLarge("a form field is larger than \(limits.maxFieldBytes) bytes")
            }
        }
        guard let text = String(validating: scratch, as: UTF8.self) else {
            throw .malformed("the form has a name or value that is not UTF-8 once decoded")
        }
        return text
    }
}
