// An incremental, zero-copy HTTP/1.1 request parser in the shape of picohttpparser: a pull parser over the caller's
// buffer that reports how many bytes it consumed and hands out ranges into that buffer instead of copies.
//
// The head is parsed by a byte-level state machine that remembers where it stopped, so bytes that arrive in many
// small reads are not scanned again (linear overall: a byte is looked at once, trailing whitespace of a field value
// twice), every limit is enforced as soon as it is crossed, and the result (including which error) does not depend
// on how the input was split into reads. Long runs of target and field-value bytes are checked 8 bytes at a time. Nothing of the head is
// consumed until it is complete, so the ranges in `HTTPRequestHead` stay valid relative to the buffer of the call
// that returns `.head`. Body framing (chunk sizes, extensions, trailers) is consumed as it is parsed.
//
// Request-target forms (RFC 9112 §3.2): origin-form (`/path?query`) is the fast path. A target starting with `*`
// (asterisk-form, `OPTIONS *`) and any target of a CONNECT request (authority-form) are handed out as sent, the path
// being the target up to its first `?`. Any other target must be absolute-form with the `http` or `https` scheme
// (`http://host:port/path?query`, scheme case-insensitive): it is validated once the whole target has arrived (its
// bytes are looked at a second time, which origin-form targets never are), and `HTTPRequestHead.path` is its path
// component; an invalid one is rejected with 400.

/// Parses HTTP/1.1 requests from a byte stream; one parser per connection.
///
/// Usage: call `parse(_:)` with the unconsumed bytes; after each result drop `consumed` bytes from the front and call
/// again (after `.needMore`, once more bytes have been appended). A request yields `.head`, then zero or more `.body`
/// slices, then `.end`; the next call starts on the next (pipelined) request. `.error` is final: every later call
/// returns the same error until `reset()`.
@_spi(Benchmarks) public struct HTTPRequestParser: Sendable {
    /// The limits this parser enforces.
    let limits: HTTPLimits

    /// The header fields of the current (or last) request head, as (name, value) ranges; shared with the
    /// `HTTPRequestHead` handed out, and emptied (keeping its capacity) when the parser starts on the next head.
    /// See the note at the top of HTTPRequestHead.swift.
    private(set) var headers: [(name: Range<Int>, value: Range<Int>)]

    /// After `.needMore` during a head: how many bytes of it were already validated (the next call resumes there
    /// instead of starting over). For tests.
    var headBytesScanned: Int { phase == .head && headStarted ? scan.position : 0 }

    private var phase: Phase = .head
    private var failure = HTTPParseError(status: 400, detail: "")
    /// Whether per-request state was reset for the head being parsed (done lazily, on its first byte).
    private var headStarted = false
    private var scan = HeadScan()
    private var facts = HeadFacts()
    private var bodyRemaining = 0
    var chunk = ChunkState()

    // Limits, clamped to be non-negative.
    private let maxRequestLine: Int
    let maxHeaderBytes: Int
    let maxHeaderCount: Int
    let maxPayload: Int

    /// How many empty lines (CRLF) may precede a request line (RFC 9112 §2.2 allows skipping "at least one").
    static let maxLeadingEmptyLines = 4
    /// The longest chunk extension accepted per chunk, in bytes; longer ones are rejected with 400.
    static let maxChunkExtensionLength = 4096

    /// Creates a parser for one connection.
    /// - Parameter limits: The limits to enforce (negative values count as 0).
    public init(limits: HTTPLimits = .init()) {
        self.limits = limits
        self.maxRequestLine = max(0, limits.maxRequestLineLength)
        self.maxHeaderBytes = max(0, limits.maxHeaderBytes)
        self.maxHeaderCount = max(0, limits.maxHeaderCount)
        self.maxPayload = max(0, limits.maxPayloadSize)
        self.headers = []
        self.headers.reserveCapacity(16)
    }

    /// Forgets any partially parsed request (and a previous error): the next call starts on a new request head.
    mutating func reset() {
        phase = .head
        headStarted = false
        bodyRemaining = 0
        chunk = ChunkState()
    }

    /// Parses as much as it can from the start of `buffer`, up to one event.
    ///
    /// Contract: bytes not consumed must be presented again at the start of the next call, followed by new bytes.
    /// - Parameter buffer: The unconsumed bytes of the connection.
    /// - Returns: The next event; ranges in it are relative to `buffer`.
    public mutating func parse(_ buffer: UnsafeRawBufferPointer) -> HTTPParseResult {
        switch phase {
        case .head:
            return parseHead(buffer)
        case .fixedBody:
            let n = min(bodyRemaining, buffer.count)
            guard n > 0 else { return .needMore(consumed: 0) }
            bodyRemaining -= n
            if bodyRemaining == 0 { phase = .endPending }
            return .body(0..<n, consumed: n)
        case .chunked:
            return parseChunked(buffer)
        case .endPending:
            finishRequest()
            return .end(consumed: 0)
        case .failed:
            return .error(failure)
        }
    }

    // MARK: - State

    private enum Phase: UInt8 {
        case head, fixedBody, chunked, endPending, failed
    }

    private enum HeadStep: UInt8 {
        case start  // before the request line: its first byte, or a leading empty line
        case leadingLF  // CR of a leading empty line seen
        case method
        case target
        case version  // "HTTP/d.d" then CR
        case requestLineLF
        case lineStart  // start of a field line, or of the empty line ending the head
        case name
        case valueOWS  // after the colon
        case value
        case fieldLF
        case finalLF
    }

    /// Where the head scan stopped and what it found so far (offsets into the caller's buffer).
    private struct HeadScan {
        var step: HeadStep = .start
        var position = 0
        var leadingEmptyLines = 0
        var lineStart = 0
        var methodEnd = 0
        var targetStart = 0
        var targetEnd = 0
        var queryStart = -1
        var pathStart = 0
        var pathEnd = 0
        var versionIndex = 0
        var major: UInt8 = 0
        var minor: UInt8 = 0
        var headerStart = 0
        var nameStart = 0
        var nameEnd = 0
        var valueStart = 0
        var valueEnd = 0
    }

    /// What the header fields said.
    private struct HeadFacts {
        var contentLength: Int? = nil  // saturates at Int.max on overflow
        var sawTransferEncoding = false
        var transferCodings = 0
        var lastCodingIsChunked = false
        var connectionClose = false
        var connectionKeepAlive = false
        var expectation: HTTPRequestHead.Expectation = .none
        var authorization: Range<Int>? = nil
        var hostCount = 0
    }

    enum ChunkStep: UInt8 {
        case sizeStart, size, sizeBWS, chunkExtension, sizeLF, data, dataCR, dataLF
        case trailerLineStart, trailerName, trailerValue, trailerLF, finalLF
    }

    /// Where in `*( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] )` a chunk extension is.
    enum ExtensionStep: UInt8 {
        case beforeName, name, afterName, beforeValue, token, quoted, quotedPair, afterQuoted, afterValue
    }

    struct ChunkState {
        var step: ChunkStep = .sizeStart
        var extensionStep: ExtensionStep = .beforeName
        var size: UInt64 = 0
        var digits = 0
        var extensionLength = 0
        var remaining = 0
        var total = 0
        var trailerBytes = 0
        var trailerCount = 0
        var trailerNameLength = 0
    }

    mutating func fail(_ status: Int, _ detail: String) -> HTTPParseResult {
        failure = HTTPParseError(status: status, detail: detail)
        phase = .failed
        return .error(failure)
    }

    /// Called when a request is complete: the next call parses a new head.
    mutating func finishRequest() {
        phase = .head
        headStarted = false
    }

    // MARK: - Head

    private mutating func parseHead(_ buffer: UnsafeRawBufferPointer) -> HTTPParseResult {
        let end = buffer.count
        if !headStarted {
            guard end > 0 else { return .needMore(consumed: 0) }
            headStarted = true
            scan = HeadScan()
            facts = HeadFacts()
            headers.removeAll(keepingCapacity: true)
        }
        var i = scan.position
        // `i > end` means the caller broke the contract (dropped bytes it was told to keep): wait, harmlessly.
        guard i < end, let base = buffer.baseAddress else { return .needMore(consumed: 0) }
        var lineLimit = Self.saturatingAdd(scan.lineStart, maxRequestLine)
        var headerLimit = Self.saturatingAdd(scan.headerStart, maxHeaderBytes)

        // States are ordered as a request reads, and each one falls through to the next, so a head that is all in
        // the buffer is scanned without going back through the dispatch. Every exit for lack of bytes leaves
        // `scan.step` naming the state to resume in.
        scanning: while i < end {
            switch scan.step {
            case .leadingLF:
                guard Self.load(base, i) == .lf else { return fail(400, "Bare CR in request head") }
                scan.leadingEmptyLines += 1
                guard scan.leadingEmptyLines <= Self.maxLeadingEmptyLines else {
                    return fail(400, "Too many empty lines before the request line")
                }
                i += 1
                scan.step = .start
                continue scanning

            case .start:
                let b = Self.load(base, i)
                if b == .cr {
                    scan.step = .leadingLF
                    i += 1
                    continue scanning
                }
                if b == .lf { return fail(400, "Bare LF in request head") }
                scan.lineStart = i
                lineLimit = Self.saturatingAdd(i, maxRequestLine)
                scan.step = .method
                fallthrough

            case .method:
                while i < end {
                    let b = Self.load(base, i)
                    if i >= lineLimit && b != .cr { return fail(414, "Request line too long") }
                    if b == .space { break }
                    guard Self.isTokenChar(b) else {
                        return b == .cr || b == .lf
                            ? fail(400, "Malformed request line") : fail(400, "Invalid method token")
                    }
                    i += 1
                }
                guard i < end else { break scanning }
                guard i > scan.lineStart else { return fail(400, "Invalid method token") }
                scan.methodEnd = i
                i += 1
                scan.targetStart = i
                scan.queryStart = -1
                scan.step = .target
                fallthrough

            case .target:
                while i < end {
                    // Skip 8 bytes at a time while none is a delimiter, a non-printable byte, or a (first) '?'.
                    let wordEnd = min(end, lineLimit) &- 8
                    while i <= wordEnd {
                        let x = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                        var special = Self.hasByteLess(x, than: 0x21) | Self.hasByteAtLeast7F(x)
                        if scan.queryStart < 0 { special |= Self.hasByte(x, equalTo: .questionMark) }
                        if special != 0 { break }
                        i += 8
                    }
                    guard i < end else { break }
                    let b = Self.load(base, i)
                    if i >= lineLimit && b != .cr { return fail(414, "Request line too long") }
                    if b == .space { break }
                    guard b > 0x20 && b < 0x7F else {
                        return b == .cr || b == .lf
                            ? fail(400, "Malformed request line") : fail(400, "Invalid request target")
                    }
                    if b == .questionMark && scan.queryStart < 0 { scan.queryStart = i }
                    i += 1
                }
                guard i < end else { break scanning }
                guard i > scan.targetStart else { return fail(400, "Invalid request target") }
                scan.targetEnd = i
                scan.pathStart = scan.targetStart
                scan.pathEnd = scan.queryStart >= 0 ? scan.queryStart : i
                let first = Self.load(base, scan.targetStart)
                if first != .slash && first != .asterisk
                    && !Self.equals(buffer, scan.lineStart..<scan.methodEnd, "CONNECT")
                {
                    switch Self.absoluteFormPath(buffer, scan.targetStart..<i, pathEnd: scan.pathEnd) {
                    case .success(let path):
                        scan.pathStart = path.lowerBound
                        scan.pathEnd = path.upperBound
                    case .failure(let error):
                        return fail(error.status, error.detail)
                    }
                }
                i += 1
                scan.versionIndex = 0
                scan.step = .version
                fallthrough

            case .version:
                // Fast path: "HTTP/1.1" or "HTTP/1.0" and CR all present and within the limit.
                if scan.versionIndex == 0 && i <= end &- 9 && i <= lineLimit &- 8 {
                    let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                    if (word == Self.http11 || word == Self.http10) && Self.load(base, i + 8) == .cr {
                        scan.major = 1
                        scan.minor = word == Self.http11 ? 1 : 0
                        i += 9
                        scan.versionIndex = 9
                        scan.step = .requestLineLF
                    }
                }
                while scan.versionIndex < 9 {
                    guard i < end else { break scanning }
                    let b = Self.load(base, i)
                    if i >= lineLimit && b != .cr { return fail(414, "Request line too long") }
                    switch scan.versionIndex {
                    case 0:
                        guard b == UInt8(ascii: "H") else {
                            // Not a version after the target's space: most likely a space inside the target.
                            guard b != .cr && b != .lf else { return fail(400, "Malformed HTTP version") }
                            return fail(400, "Whitespace in the request target, or no HTTP version after it")
                        }
                    case 1, 2: guard b == UInt8(ascii: "T") else { return fail(400, "Malformed HTTP version") }
                    case 3: guard b == UInt8(ascii: "P") else { return fail(400, "Malformed HTTP version") }
                    case 4: guard b == UInt8(ascii: "/") else { return fail(400, "Malformed HTTP version") }
                    case 5:
                        guard Self.isDigit(b) else { return fail(400, "Malformed HTTP version") }
                        scan.major = b &- UInt8(ascii: "0")
                    case 6: guard b == UInt8(ascii: ".") else { return fail(400, "Malformed HTTP version") }
                    case 7:
                        guard Self.isDigit(b) else { return fail(400, "Malformed HTTP version") }
                        scan.minor = b &- UInt8(ascii: "0")
                    default:
                        guard b == .cr else {
                            return b == .lf
                                ? fail(400, "Bare LF in request head") : fail(400, "Malformed HTTP version")
                        }
                        guard scan.major == 1 && scan.minor <= 1 else {
                            return fail(505, "HTTP version not supported")
                        }
                    }
                    scan.versionIndex += 1
                    i += 1
                }
                scan.step = .requestLineLF
                fallthrough

            case .requestLineLF:
                guard i < end else { break scanning }
                guard Self.load(base, i) == .lf else { return fail(400, "Bare CR in request head") }
                i += 1
                scan.headerStart = i
                headerLimit = Self.saturatingAdd(i, maxHeaderBytes)
                scan.step = .lineStart
                fallthrough

            case .lineStart:
                guard i < end else { break scanning }
                let b = Self.load(base, i)
                if b == .cr {
                    i += 1
                    guard i < end else {
                        scan.step = .finalLF
                        break scanning
                    }
                    guard Self.load(base, i) == .lf else { return fail(400, "Bare CR in request head") }
                    return finishHead(buffer, length: i + 1)
                }
                if i >= headerLimit { return fail(431, "Request header fields too large") }
                if b == .space || b == .tab { return fail(400, "Obsolete line folding in header") }
                if b == .lf { return fail(400, "Bare LF in request head") }
                if headers.count >= maxHeaderCount { return fail(431, "Too many request header fields") }
                scan.nameStart = i
                scan.step = .name
                fallthrough

            case .name:
                while i < end {
                    let b = Self.load(base, i)
                    if i >= headerLimit { return fail(431, "Request header fields too large") }
                    if b == .colon { break }
                    guard Self.isTokenChar(b) else {
                        if b == .space || b == .tab { return fail(400, "Whitespace before colon in header field") }
                        if b == .cr || b == .lf { return fail(400, "Header field without colon") }
                        return fail(400, "Invalid header field name")
                    }
                    i += 1
                }
                guard i < end else { break scanning }
                guard i > scan.nameStart else { return fail(400, "Empty header field name") }
                scan.nameEnd = i
                i += 1
                scan.step = .valueOWS
                fallthrough

            case .valueOWS:
                while i < end {
                    let b = Self.load(base, i)
                    if i >= headerLimit { return fail(431, "Request header fields too large") }
                    guard b == .space || b == .tab else { break }
                    i += 1
                }
                guard i < end else { break scanning }
                scan.valueStart = i
                scan.step = .value
                fallthrough

            case .value:
                while i < end {
                    // Skip 8 bytes at a time while none is a control character or DEL.
                    let wordEnd = min(end, headerLimit) &- 8
                    while i <= wordEnd {
                        let x = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                        if Self.hasByteLess(x, than: 0x20) | Self.hasByte(x, equalTo: 0x7F) != 0 { break }
                        i += 8
                    }
                    guard i < end else { break }
                    let b = Self.load(base, i)
                    if i >= headerLimit { return fail(431, "Request header fields too large") }
                    if b == .cr { break }
                    guard Self.isFieldValueChar(b) else {
                        return b == .lf
                            ? fail(400, "Bare LF in request head")
                            : fail(400, "Invalid character in header field value")
                    }
                    i += 1
                }
                guard i < end else { break scanning }
                // At the CR: trim trailing OWS (each byte is looked at once more, at most).
                var valueEnd = i
                while valueEnd > scan.valueStart, Self.isOWS(Self.load(base, valueEnd &- 1)) { valueEnd &-= 1 }
                scan.valueEnd = valueEnd
                i += 1
                scan.step = .fieldLF
                fallthrough

            case .fieldLF:
                guard i < end else { break scanning }
                let b = Self.load(base, i)
                if i >= headerLimit { return fail(431, "Request header fields too large") }
                guard b == .lf else { return fail(400, "Bare CR in request head") }
                let name = scan.nameStart..<scan.nameEnd
                let value = scan.valueStart..<scan.valueEnd
                if let error = noteField(buffer, name: name, value: value) {
                    return fail(error.status, error.detail)
                }
                headers.append((name: name, value: value))
                i += 1
                scan.step = .lineStart
                continue scanning

            case .finalLF:
                guard Self.load(base, i) == .lf else { return fail(400, "Bare CR in request head") }
                return finishHead(buffer, length: i + 1)
            }
        }
        scan.position = i
        return .needMore(consumed: 0)
    }

    /// Records what one header field means for framing and connection handling.
    private mutating func noteField(
        _ buffer: UnsafeRawBufferPointer,
        name: Range<Int>,
        value: Range<Int>
    ) -> HTTPParseError? {
        switch name.count {
        case 4 where Self.equalsIgnoringCase(buffer, name, "host"):
            facts.hostCount += 1
            if facts.hostCount > 1 { return HTTPParseError(status: 400, detail: "Multiple Host headers") }
            // Validated in every target form; with an absolute-form target the target's authority is what counts,
            // and the Host value is not compared with it (RFC 9112 §3.2.2).
            if let error = Self.hostFieldError(buffer, value) { return error }
        case 6 where Self.equalsIgnoringCase(buffer, name, "expect"):
            let expects100 = Self.equalsIgnoringCase(buffer, value, "100-continue")
            if !expects100 {
                facts.expectation = .unsupported
            } else if facts.expectation == .none {
                facts.expectation = .continue
            }
        case 10 where Self.equalsIgnoringCase(buffer, name, "connection"):
            var close = facts.connectionClose
            var keepAlive = facts.connectionKeepAlive
            Self.forEachListElement(buffer, value) { element in
                if Self.equalsIgnoringCase(buffer, element, "close") {
                    close = true
                } else if Self.equalsIgnoringCase(buffer, element, "keep-alive") {
                    keepAlive = true
                }
                return true
            }
            facts.connectionClose = close
            facts.connectionKeepAlive = keepAlive
        case 13 where Self.equalsIgnoringCase(buffer, name, "authorization"):
            guard facts.authorization == nil else {
                return HTTPParseError(status: 400, detail: "Multiple Authorization headers")
            }
            facts.authorization = value
        case 14 where Self.equalsIgnoringCase(buffer, name, "content-length"):
            // Strictest choice (RFC 9112 §6.3 allows merging identical values): one field, one number.
            guard facts.contentLength == nil else {
                return HTTPParseError(status: 400, detail: "Multiple Content-Length headers")
            }
            guard let length = Self.parseContentLength(buffer, value) else {
                return HTTPParseError(status: 400, detail: "Invalid Content-Length: expected one decimal number")
            }
            facts.contentLength = length
        case 17 where Self.equalsIgnoringCase(buffer, name, "transfer-encoding"):
            facts.sawTransferEncoding = true
            var codings = facts.transferCodings
            var lastIsChunked = facts.lastCodingIsChunked
            var problem: String? = nil
            Self.forEachListElement(buffer, value) { element in
                // transfer-coding = token *( OWS ";" OWS transfer-parameter )
                let tokenEnd = Self.tokenEnd(buffer, element)
                var j = tokenEnd
                while j < element.upperBound, Self.isOWS(Self.load(buffer, j)) { j += 1 }
                guard tokenEnd > element.lowerBound, j == element.upperBound || Self.load(buffer, j) == .semicolon
                else {
                    problem = "Invalid Transfer-Encoding"
                    return false
                }
                // chunked must be the final coding (RFC 9112 §6.3): nothing may follow it, not even chunked again.
                if lastIsChunked {
                    problem = "Invalid Transfer-Encoding: chunked must be the final coding, and only once"
                    return false
                }
                codings += 1
                lastIsChunked = Self.equalsIgnoringCase(buffer, element.lowerBound..<tokenEnd, "chunked")
                if lastIsChunked && tokenEnd != element.upperBound {
                    // RFC 9112 §7.1: chunked has no parameters, and their presence should be treated as an error.
                    problem = "Invalid Transfer-Encoding: chunked takes no parameters"
                    return false
                }
                return true
            }
            if let problem { return HTTPParseError(status: 400, detail: problem) }
            facts.transferCodings = codings
            facts.lastCodingIsChunked = lastIsChunked
        default:
            break
        }
        return nil
    }

    /// Validates the head as a whole, hands it out and sets up body parsing.
    private mutating func finishHead(_ buffer: UnsafeRawBufferPointer, length: Int) -> HTTPParseResult {
        let minor = Int(scan.minor)
        if minor == 1 && facts.hostCount == 0 { return fail(400, "Missing Host header") }
        var isChunked = false
        if facts.sawTransferEncoding {
            if minor == 0 { return fail(400, "Transfer-Encoding is not allowed in an HTTP/1.0 request") }
            if facts.contentLength != nil { return fail(400, "Both Content-Length and Transfer-Encoding present") }
            if facts.transferCodings == 0 { return fail(400, "Invalid Transfer-Encoding") }
            if !facts.lastCodingIsChunked && facts.transferCodings > 1 {
                // The body's length cannot be known (RFC 9112 §6.3): 400, not 501.
                return fail(400, "Invalid Transfer-Encoding: the final coding must be chunked")
            }
            // A coding LitUV does not implement: alone (`gzip`) or before chunked (`gzip, chunked`).
            guard facts.transferCodings == 1 && facts.lastCodingIsChunked else {
                return fail(501, "Unsupported Transfer-Encoding")
            }
            isChunked = true
        }
        if let contentLength = facts.contentLength, contentLength > maxPayload {
            return fail(413, "Request body too large")
        }
        let methodRange = scan.lineStart..<scan.methodEnd
        let target = scan.targetStart..<scan.targetEnd
        let keepAlive = minor == 1 ? !facts.connectionClose : facts.connectionKeepAlive && !facts.connectionClose
        let expectation: HTTPRequestHead.Expectation =
            minor == 0 && facts.expectation == .continue ? .none : facts.expectation
        let head = HTTPRequestHead(
            method: Self.method(buffer, methodRange),
            methodRange: methodRange,
            target: target,
            path: scan.pathStart..<scan.pathEnd,
            minorVersion: minor,
            headers: headers,
            contentLength: facts.contentLength,
            isChunked: isChunked,
            keepAlive: keepAlive,
            expectation: expectation,
            authorization: facts.authorization,
            hostPresent: facts.hostCount > 0,
            length: length
        )
        if isChunked {
            chunk = ChunkState()
            phase = .chunked
        } else if let contentLength = facts.contentLength, contentLength > 0 {
            bodyRemaining = contentLength
            phase = .fixedBody
        } else {
            phase = .endPending
        }
        return .head(head, consumed: length)
    }

    /// Maps a method token to `HTTPMethod` (case-sensitive, as methods are).
    static func method(_ buffer: UnsafeRawBufferPointer, _ range: Range<Int>) -> HTTPMethod {
        switch range.count {
        case 3:
            if equals(buffer, range, "GET") { return .get }
            if equals(buffer, range, "PUT") { return .put }
        case 4:
            if equals(buffer, range, "POST") { return .post }
            if equals(buffer, range, "HEAD") { return .head }
        case 5:
            if equals(buffer, range, "PATCH") { return .patch }
            if equals(buffer, range, "TRACE") { return .trace }
        case 6:
            if equals(buffer, range, "DELETE") { return .delete }
        case 7:
            if equals(buffer, range, "OPTIONS") { return .options }
            if equals(buffer, range, "CONNECT") { return .connect }
        default:
            break
        }
        return .other
    }
}
