#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An incremental `multipart/form-data` parser (RFC 7578 over RFC 2046 §5.1): feed it the body in slices of any size
/// as they arrive with ``parse(_:)``, then call ``finish()`` for the ``MultipartForm``.
///
/// - The preamble (before the first boundary line) and the epilogue (after the closing one) are ignored; a body
///   whose only boundary line is the closing one is an empty form.
/// - Line endings are CRLF, strictly: a boundary line or a part header line ending with a bare LF is refused (400),
///   as is obsolete line folding in part headers. Transport padding (SP and HTAB) after a boundary is allowed.
/// - A delimiter is CRLF, `--`, the boundary, then `--`, padding or CRLF. Anything else in a part's content is
///   content, including CRLF, `--`, a prefix of the boundary, or the boundary itself when it is not at the start of a
///   line or is followed by another character (`--boundaryX`).
/// - Every part needs a `Content-Disposition: form-data` with a non-empty `name` (see ``MultipartPart``).
/// - Limits (``FormLimits``): over `maxTotalBytes`, `maxParts`, `maxPartHeaderBytes`, `maxPartBytes` (a part with a
///   filename) or `maxFieldBytes` (a part without) is a 413. The count of parts is a 413 as well: like the others it
///   is a size of the body a client chose, not a syntax error.
///
/// Errors are sticky: after one, ``parse(_:)`` and ``finish()`` throw it again. The result, or the error, is the same
/// whichever way the body is split into slices (the parser's tests and its fuzz target check this).
///
/// Cost: the content is searched for the delimiter with `memchr` for its CR, and copied once, slice by slice, into
/// the part's array; nothing is allocated per byte. A part's header block is gathered in one reused array.
public struct MultipartParser: Sendable {
    /// The boundary, as given.
    public let boundary: String
    /// The limits checked while parsing.
    public let limits: FormLimits

    /// Where a delimiter was found.
    private enum Origin: Sendable {
        case preamble
        case body
    }

    /// How far the bytes after a delimiter (`CRLF--boundary`) have been read.
    private enum Stage: Sendable {
        case first  // nothing yet
        case dash  // one `-`: a second makes the closing delimiter
        case padding  // SP or HTAB: CRLF must follow
        case cr  // CR: LF must follow
    }

    private enum State: Sendable {
        case preamble
        case delimiter(Origin, Stage)
        case headers
        case body
        case epilogue
    }

    /// CRLF `--` boundary: what ends a part's content (and, with a virtual CRLF before the body, starts the first).
    private let delimiter: [UInt8]
    private var state = State.preamble
    /// How many bytes of `delimiter` the input so far ends with (in `.preamble` and `.body`); they are held back and
    /// become content if the delimiter does not complete. 2 at the start: a body may begin with `--boundary`.
    private var matched = 2
    private var totalBytes = 0
    private var partCount = 0
    private var parts: [MultipartPart] = []
    /// The part whose content is being read (everything but its body), its body and the limit on that body.
    private var current: MultipartPart?
    private var body: [UInt8] = []
    private var bodyLimit = 0
    /// The header block being gathered and where its last unfinished line starts.
    private var headerBlock: [UInt8] = []
    private var headerLineStart = 0
    private var error: FormError?

    /// Creates a parser for a body with this boundary.
    /// - Parameters:
    ///   - boundary: The `boundary` parameter of the request's `Content-Type`: 1–70 characters among letters,
    ///     digits and `'()+_,-./:=? ` (space), not ending with a space (RFC 2046 §5.1.1).
    ///   - limits: The limits to enforce.
    /// - Throws: ``FormError`` 400 if the boundary is not valid.
    public init(boundary: String, limits: FormLimits = .init()) throws(FormError) {
        let bytes = Array(boundary.utf8)
        guard (1...70).contains(bytes.count), bytes.allSatisfy(Self.isBoundaryChar), bytes.last != 0x20 else {
            throw .malformed(
                "the multipart boundary must be 1 to 70 letters, digits or '()+_,-./:=? characters, not ending in a space"
            )
        }
        self.boundary = boundary
        self.limits = limits
        self.delimiter = Array("\r\n--".utf8) + bytes
    }

    /// Creates a parser for a request's `Content-Type`, which must be `multipart/form-data` with a `boundary`.
    /// - Parameters:
    ///   - contentType: The request's parsed `Content-Type`.
    ///   - limits: The limits to enforce.
    /// - Throws: ``FormError`` 400 if the type is not `multipart/form-data` or the boundary is missing or invalid.
    public init(contentType: MediaType, limits: FormLimits = .init()) throws(FormError) {
        guard contentType.type == "multipart", contentType.subtype == "form-data" else {
            throw .malformed("the content type is not multipart/form-data")
        }
        guard let boundary = contentType[parameter: "boundary"] else {
            throw .malformed("multipart/form-data needs a boundary parameter")
        }
        try self.init(boundary: boundary, limits: limits)
    }

    /// RFC 2046 `bchars`.
    private static func isBoundaryChar(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "+"), UInt8(ascii: "_"),
            UInt8(ascii: ","), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "/"), UInt8(ascii: ":"),
            UInt8(ascii: "="), UInt8(ascii: "?"), UInt8(ascii: " "):
            true
        default: false
        }
    }

    /// Parses the next slice of the body. The bytes are not kept: what is needed is copied.
    /// - Parameter bytes: The next bytes of the body, any number (including none).
    /// - Throws: ``FormError`` (400 malformed, 413 over a limit); then every later call throws it again.
    public mutating func parse(_ bytes: UnsafeRawBufferPointer) throws(FormError) {
        if let error { throw error }
        do throws(FormError) {
            let allowed = min(bytes.count, max(0, limits.maxTotalBytes - totalBytes))
            totalBytes += allowed
            try run(UnsafeRawBufferPointer(rebasing: bytes[0..<allowed]))
            if allowed < bytes.count {
                throw .tooLarge("the multipart body is larger than \(limits.maxTotalBytes) bytes")
            }
        } catch {
            self.error = error
            throw error
        }
    }

    /// Ends the body.
    /// - Returns: The parts, in order.
    /// - Throws: ``FormError`` 400 if the closing boundary line (`--boundary--`) was not reached, or the error an
    ///   earlier ``parse(_:)`` threw.
    public mutating func finish() throws(FormError) -> MultipartForm {
        if let error { throw error }
        switch state {
        case .epilogue:
            return MultipartForm(parts: parts)
        case .preamble:
            error = .malformed("the multipart body has no boundary line (--\(boundary))")
        default:
            error = .malformed("the multipart body ends before its closing boundary line (--\(boundary)--)")
        }
        throw error ?? .malformed("the multipart body is incomplete")
    }

    // MARK: - The state machine

    private mutating func run(_ buffer: UnsafeRawBufferPointer) throws(FormError) {
        var i = 0
        while i < buffer.count {
            switch state {
            case .preamble: i = try scan(buffer, from: i, origin: .preamble)
            case .body: i = try scan(buffer, from: i, origin: .body)
            case .delimiter(let origin, let stage): i = try afterDelimiter(buffer, at: i, origin: origin, stage: stage)
            case .headers: i = try gatherHeaders(buffer, from: i)
            case .epilogue: return
            }
        }
    }

    /// Looks for the delimiter from `start`; what comes before it is content (of the current part, or preamble).
    /// - Returns: Where to go on: after the delimiter, or the end of the buffer.
    private mutating func scan(
        _ buffer: UnsafeRawBufferPointer,
        from start: Int,
        origin: Origin
    ) throws(FormError) -> Int {
        let n = buffer.count
        let length = delimiter.count
        if matched > 0 {
            var k = matched
            var j = start
            while k < length, j < n, buffer[j] == delimiter[k] {
                k += 1
                j += 1
            }
            if k == length {
                matched = 0
                state = .delimiter(origin, .first)
                return j
            }
            if j == n {
                matched = k
                return n
            }
            // Not a delimiter: the held bytes were content. The delimiter has a CR only at its start, so no
            // delimiter can begin within them or the bytes matched after them.
            if origin == .body { try appendHeldDelimiter(matched) }
            matched = 0
        }
        guard let base = buffer.baseAddress else { return n }
        var i = start
        while i < n, let hit = memchr(base + i, 0x0D, n - i) {
            let r = UnsafeRawPointer(hit) - base
            let available = min(length, n - r)
            var k = 1
            while k < available, buffer[r + k] == delimiter[k] { k += 1 }
            if k == available {
                if origin == .body { try appendContent(buffer, start..<r) }
                if available == length {
                    state = .delimiter(origin, .first)
                    return r + length
                }
                matched = available
                return n
            }
            i = r + 1
        }
        if origin == .body { try appendContent(buffer, start..<n) }
        return n
    }

    /// Reads one byte after a delimiter: `--` closes the body, padding then CRLF starts a part, another byte means
    /// the delimiter was content after all.
    /// - Returns: Where to go on (the same index when the byte must be read again as content).
    private mutating func afterDelimiter(
        _ buffer: UnsafeRawBufferPointer,
        at i: Int,
        origin: Origin,
        stage: Stage
    ) throws(FormError) -> Int {
        let c = buffer[i]
        switch (stage, c) {
        case (.first, UInt8(ascii: "-")):
            state = .delimiter(origin, .dash)
        case (.first, 0x20), (.first, 0x09), (.padding, 0x20), (.padding, 0x09):
            state = .delimiter(origin, .padding)
        case (.first, 0x0D), (.padding, 0x0D):
            state = .delimiter(origin, .cr)
        case (.first, 0x0A), (.padding, 0x0A):
            throw .malformed("a multipart boundary line ends with a bare LF (CRLF is required)")
        case (.padding, _):
            throw .malformed("a multipart boundary line has characters after the boundary")
        case (.cr, 0x0A):
            try startPart(after: origin)
        case (.cr, _):
            throw .malformed("a multipart boundary line has a CR without LF")
        case (.dash, UInt8(ascii: "-")):
            if origin == .body { finishPart() }
            state = .epilogue
        case (.first, _), (.dash, _):
            // The boundary is followed by another character: not a delimiter, so its bytes are content.
            if origin == .body {
                try appendHeldDelimiter(delimiter.count)
                if case .dash = stage { try appendDash() }
                state = .body
            } else {
                state = .preamble
            }
            return i
        }
        return i + 1
    }

    /// A boundary line ended: the current part (if any) is complete and a new one starts with its headers.
    private mutating func startPart(after origin: Origin) throws(FormError) {
        if origin == .body { finishPart() }
        partCount += 1
        if partCount > limits.maxParts {
            throw .tooLarge("the multipart body has more than \(limits.maxParts) parts")
        }
        headerBlock.removeAll(keepingCapacity: true)
        headerLineStart = 0
        state = .headers
    }

    /// Gathers header lines up to the empty line, then parses the block.
    /// - Returns: Where to go on.
    private mutating func gatherHeaders(_ buffer: UnsafeRawBufferPointer, from start: Int) throws(FormError) -> Int {
        let n = buffer.count
        var end = n
        var lineComplete = false
        if let base = buffer.baseAddress, let hit = memchr(base + start, 0x0A, n - start) {
            end = UnsafeRawPointer(hit) - base + 1
            lineComplete = true
        }
        if headerBlock.count + (end - start) > limits.maxPartHeaderBytes {
            throw .tooLarge(
                "the headers of multipart part \(partCount) are larger than \(limits.maxPartHeaderBytes) bytes"
            )
        }
        headerBlock.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[start..<end]))
        guard lineComplete else { return n }
        let lineEnd = headerBlock.count
        guard lineEnd - headerLineStart >= 2, headerBlock[lineEnd - 2] == 0x0D else {
            throw .malformed("the headers of multipart part \(partCount) have a bare LF (CRLF is required)")
        }
        if lineEnd - headerLineStart > 2 {
            headerLineStart = lineEnd
            return end
        }
        let part = try MultipartPartHeaders.parse(Array(headerBlock[0..<headerLineStart]), index: partCount)
        bodyLimit = part.filename == nil ? limits.maxFieldBytes : limits.maxPartBytes
        current = part
        body = []
        matched = 0
        state = .body
        return end
    }

    // MARK: - Content

    private mutating func appendContent(_ buffer: UnsafeRawBufferPointer, _ range: Range<Int>) throws(FormError) {
        guard !range.isEmpty else { return }
        try checkBodyLimit(adding: range.count)
        body.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[range]))
    }

    /// Appends the first `count` bytes of the delimiter, which turned out to be content.
    private mutating func appendHeldDelimiter(_ count: Int) throws(FormError) {
        try checkBodyLimit(adding: count)
        body.append(contentsOf: delimiter[0..<count])
    }

    private mutating func appendDash() throws(FormError) {
        try checkBodyLimit(adding: 1)
        body.append(UInt8(ascii: "-"))
    }

    private func checkBodyLimit(adding count: Int) throws(FormError) {
        guard body.count + count > bodyLimit else { return }
        let name = current?.name ?? ""
        if current?.filename == nil {
            throw .tooLarge("the multipart field '\(name)' is larger than \(limits.maxFieldBytes) bytes")
        }
        throw .tooLarge("the multipart file '\(name)' is larger than \(limits.maxPartBytes) bytes")
    }

    private mutating func finishPart() {
        guard var part = current else { return }
        part.body = body
        body = []
        parts.append(part)
        current = nil
    }
}
