// An incremental HTTP/1.1 response parser for the load generator: bytes go in as they arrive (split anywhere), and
// a response is reported only once it is complete — status line, header fields, and a body framed by
// Content-Length, by the chunked transfer coding, or by the end of the connection. It copies nothing: it keeps only
// the few facts it needs (status, length, chunked, close) and counts body bytes without looking at them.

#if canImport(Glibc)
import Glibc
#endif

/// Why a response could not be parsed. The connection is then closed and counted as a parse error.
struct ResponseParseError: Error, CustomStringConvertible {
    var description: String
}

/// Parses a stream of HTTP/1.1 responses; one per connection.
struct HTTPResponseParser {
    /// A response the parser finished.
    struct Response: Equatable {
        /// The status code (100–999).
        var status: Int
        /// The server said `Connection: close` (or answered HTTP/1.0 without keep-alive): no more responses follow.
        var closesConnection: Bool
    }

    private enum Step: UInt8 {
        case version  // "HTTP/1.x" then one space
        case statusCode  // three digits
        case reason  // up to CR
        case statusLF
        case lineStart  // a field line, or the empty line ending the head
        case name
        case value
        case fieldLF
        case finalLF
        case fixedBody
        case chunkSize
        case chunkExtension
        case chunkSizeLF
        case chunkData
        case chunkDataCR
        case chunkDataLF
        case trailerLineStart
        case trailerLine
        case trailerLF
        case trailerFinalLF
        case untilClose
    }

    /// Header fields whose values matter, recognised while the name streams by.
    private enum Field: UInt8 {
        case other, contentLength, transferEncoding, connection
    }

    /// The length of "transfer-encoding", the longest field name that matters.
    private static let longestFieldName = 17
    /// Longest value kept of a field that matters (for "chunked", "close" and the like, plus a little slack).
    private static let maxKeptValue = 128
    /// Longest head accepted (status line plus fields); a longer one is an error, not a memory leak.
    private static let maxHeadBytes = 64 * 1024

    private var step: Step = .version
    private var index = 0  // position within the version prefix, status digits, or field name
    private var minorVersion: UInt8 = 1
    private var status = 0
    private var headBytes = 0
    private var field: Field = .other
    /// The start of the current field name, lowercased (at most `longestFieldName + 1` bytes are kept).
    private var name: [UInt8] = []
    /// The full length of the current field name.
    private var nameLength = 0
    private var value: [UInt8] = []
    private var contentLength: Int? = nil
    private var chunked = false
    private var close = false
    private var keepAlive = false
    private var remaining = 0  // body or chunk bytes still to come
    private var chunkDigits = 0

    /// The request this response answers was a HEAD request: its response has no body, whatever it declares.
    var expectsNoBody = false

    init(headRequests: Bool = false) {
        expectsNoBody = headRequests
        value.reserveCapacity(Self.maxKeptValue)
        name.reserveCapacity(Self.longestFieldName + 1)
    }

    /// True between responses (nothing of the next one seen yet).
    var isIdle: Bool { step == .version && index == 0 }

    /// Whether the response in progress is delimited by the end of the connection (then ``finish()`` completes it).
    var readsUntilClose: Bool { step == .untilClose }

    /// Consumes `bytes`, calling `onResponse` for every response completed by them, in order.
    /// - Returns: after a response that closes the connection, the parser ignores the rest of `bytes`.
    /// - Throws: ``ResponseParseError`` when the bytes are not an HTTP/1.1 response stream.
    mutating func consume(
        _ bytes: Span<UInt8>,
        onResponse: (Response) -> Void
    ) throws(ResponseParseError) {
        var i = 0
        let end = bytes.count
        while i < end {
            switch step {
            case .version:
                let b = bytes[i]
                if index < 7 {
                    guard b == Self.versionByte(index) else {
                        throw ResponseParseError(description: "bad status line")
                    }
                } else if index == 7 {
                    guard b == UInt8(ascii: "0") || b == UInt8(ascii: "1") else {
                        throw ResponseParseError(description: "unsupported HTTP version")
                    }
                    minorVersion = b &- UInt8(ascii: "0")
                } else {
                    guard b == UInt8(ascii: " ") else { throw ResponseParseError(description: "bad status line") }
                    step = .statusCode
                    index = 0
                    status = 0
                    i += 1
                    headBytes += 1
                    continue
                }
                index += 1
                i += 1
                headBytes += 1

            case .statusCode:
                let b = bytes[i]
                guard b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") else {
                    throw ResponseParseError(description: "bad status code")
                }
                status = status * 10 + Int(b &- UInt8(ascii: "0"))
                index += 1
                i += 1
                headBytes += 1
                if index == 3 { step = .reason }

            case .reason:
                guard let cr = firstIndex(of: UInt8(ascii: "\r"), in: bytes, from: i) else {
                    headBytes += end - i
                    i = end
                    break
                }
                headBytes += cr + 1 - i
                i = cr + 1
                step = .statusLF

            case .statusLF:
                guard bytes[i] == UInt8(ascii: "\n") else { throw ResponseParseError(description: "bare CR") }
                i += 1
                headBytes += 1
                step = .lineStart

            case .lineStart:
                let b = bytes[i]
                if b == UInt8(ascii: "\r") {
                    step = .finalLF
                    i += 1
                    headBytes += 1
                } else {
                    guard b != UInt8(ascii: "\n"), b != UInt8(ascii: " "), b != UInt8(ascii: "\t") else {
                        throw ResponseParseError(description: "malformed header line")
                    }
                    step = .name
                    name.removeAll(keepingCapacity: true)
                    nameLength = 0
                }

            case .name:
                // Find the colon; keep (lowercased) only as much of the name as a field that matters can have.
                let colon = firstIndex(of: UInt8(ascii: ":"), in: bytes, from: i) ?? end
                // A whole name of another length than the three that matter need not be looked at.
                let skip = colon < end && nameLength == 0 && !Self.isInterestingLength(colon - i)
                let take = skip ? 0 : min(colon - i, Self.longestFieldName + 1 - name.count)
                if take > 0 {
                    for k in i..<(i + take) {
                        let b = bytes[k]
                        guard b > 0x20, b < 0x7F else { throw ResponseParseError(description: "bad header name") }
                        name.append((b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z")) ? b | 0x20 : b)
                    }
                }
                nameLength += colon - i
                headBytes += colon - i
                i = colon
                guard i < end else { break }
                field = identifyField()
                value.removeAll(keepingCapacity: true)
                step = .value
                i += 1
                headBytes += 1

            case .value:
                let cr = firstIndex(of: UInt8(ascii: "\r"), in: bytes, from: i) ?? end
                if field != .other && cr > i {
                    guard value.count + (cr - i) <= Self.maxKeptValue else {
                        throw ResponseParseError(description: "header value too long")
                    }
                    for k in i..<cr { value.append(bytes[k]) }
                }
                headBytes += cr - i
                i = cr
                guard i < end else { break }
                if field != .other { try noteField() }
                step = .fieldLF
                i += 1
                headBytes += 1

            case .fieldLF:
                guard bytes[i] == UInt8(ascii: "\n") else { throw ResponseParseError(description: "bare CR") }
                step = .lineStart
                i += 1
                headBytes += 1

            case .finalLF:
                guard bytes[i] == UInt8(ascii: "\n") else { throw ResponseParseError(description: "bare CR") }
                i += 1
                if let response = try finishHead() {
                    onResponse(response)
                    if response.closesConnection { return }
                }

            case .fixedBody:
                let n = min(remaining, end - i)
                remaining -= n
                i += n
                if remaining == 0 {
                    let response = complete()
                    onResponse(response)
                    if response.closesConnection { return }
                }

            case .chunkSize:
                let b = bytes[i]
                if let digit = Self.hexValue(b) {
                    chunkDigits += 1
                    guard chunkDigits <= 15 else { throw ResponseParseError(description: "chunk size too large") }
                    remaining = remaining << 4 | Int(digit)
                } else if chunkDigits > 0 && (b == UInt8(ascii: ";") || b == UInt8(ascii: " ") || b == 9) {
                    step = .chunkExtension
                } else if chunkDigits > 0 && b == UInt8(ascii: "\r") {
                    step = .chunkSizeLF
                } else {
                    throw ResponseParseError(description: "bad chunk size")
                }
                i += 1

            case .chunkExtension:
                while i < end && bytes[i] != UInt8(ascii: "\r") {
                    guard bytes[i] != UInt8(ascii: "\n") else { throw ResponseParseError(description: "bare LF") }
                    i += 1
                }
                guard i < end else { break }
                step = .chunkSizeLF
                i += 1

            case .chunkSizeLF:
                guard bytes[i] == UInt8(ascii: "\n") else { throw ResponseParseError(description: "bare CR") }
                i += 1
                step = remaining == 0 ? .trailerLineStart : .chunkData

            case .chunkData:
                let n = min(remaining, end - i)
                remaining -= n
                i += n
                if remaining == 0 { step = .chunkDataCR }

            case .chunkDataCR:
                guard bytes[i] == UInt8(ascii: "\r") else { throw ResponseParseError(description: "missing CRLF") }
                step = .chunkDataLF
                i += 1

            case .chunkDataLF:
                guard bytes[i] == UInt8(ascii: "\n") else { throw ResponseParseError(description: "bare CR") }
                step = .chunkSize
                remaining = 0
                chunkDigits = 0
                i += 1

            case .trailerLineStart:
                step = bytes[i] == UInt8(ascii: "\r") ? .trailerFinalLF : .trailerLine
                i += 1

            case .trailerLine:
                while i < end && bytes[i] != UInt8(ascii: "\r") { i += 1 }
                guard i < end else { break }
                step = .trailerLF
                i += 1

            case .trailerLF:
                guard bytes[i] == UInt8(ascii: "\n") else { throw ResponseParseError(description: "bare CR") }
                step = .trailerLineStart
                i += 1

            case .trailerFinalLF:
                guard bytes[i] == UInt8(ascii: "\n") else { throw ResponseParseError(description: "bare CR") }
                i += 1
                let response = complete()
                onResponse(response)
                if response.closesConnection { return }

            case .untilClose:
                i = end  // everything up to EOF is body
            }
            if headBytes > Self.maxHeadBytes { throw ResponseParseError(description: "response head too large") }
        }
    }

    /// The connection reached EOF. Completes a response delimited by the close; anything else partial is lost.
    /// - Returns: the response completed by the EOF, if any.
    mutating func finish() -> Response? {
        guard step == .untilClose else { return nil }
        return complete()
    }

    // MARK: - Helpers

    private mutating func noteField() throws(ResponseParseError) {
        // Trim trailing whitespace (leading whitespace is skipped below).
        while let last = value.last, last == UInt8(ascii: " ") || last == 9 { value.removeLast() }
        var start = 0
        while start < value.count && (value[start] == UInt8(ascii: " ") || value[start] == 9) { start += 1 }
        switch field {
        case .other:
            break
        case .contentLength:
            var length = 0
            guard start < value.count else { throw ResponseParseError(description: "empty Content-Length") }
            for b in value[start...] {
                guard b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9"), length < Int.max / 10 - 10 else {
                    throw ResponseParseError(description: "bad Content-Length")
                }
                length = length * 10 + Int(b &- UInt8(ascii: "0"))
            }
            if let previous = contentLength, previous != length {
                throw ResponseParseError(description: "conflicting Content-Length")
            }
            contentLength = length
        case .transferEncoding:
            var last: Range<Int>? = nil
            Self.forEachToken(in: value, from: start) { last = $0 }
            chunked = last.map { Self.equalsLowercase(value, $0, Self.chunkedToken) } ?? false
        case .connection:
            if start == 0 && Self.equalsLowercase(value, 0..<value.count, Self.keepAliveToken) {
                keepAlive = true
                return
            }
            Self.forEachToken(in: value, from: start) { token in
                if Self.equalsLowercase(value, token, Self.closeToken) { close = true }
                if Self.equalsLowercase(value, token, Self.keepAliveToken) { keepAlive = true }
            }
        }
    }

    /// The head is complete. Returns the response when it has no body (or nil while the body is still to come).
    private mutating func finishHead() throws(ResponseParseError) -> Response? {
        if status < 200 {
            // An interim response (100 Continue, 103 Early Hints): the final one follows.
            resetForNextResponse()
            return nil
        }
        if expectsNoBody || status == 204 || status == 304 {
            return complete()
        }
        if chunked {
            step = .chunkSize
            remaining = 0
            chunkDigits = 0
            return nil
        }
        if let contentLength {
            guard contentLength > 0 else { return complete() }
            remaining = contentLength
            step = .fixedBody
            return nil
        }
        step = .untilClose
        return nil
    }

    private mutating func complete() -> Response {
        let closes = close || step == .untilClose || (minorVersion == 0 && !keepAlive)
        let response = Response(status: status, closesConnection: closes)
        resetForNextResponse()
        return response
    }

    private mutating func resetForNextResponse() {
        step = .version
        index = 0
        status = 0
        headBytes = 0
        contentLength = nil
        chunked = false
        close = false
        keepAlive = false
        remaining = 0
        minorVersion = 1
    }

    /// The i-th byte of "HTTP/1." (i < 7).
    @inline(__always)
    private static func versionByte(_ i: Int) -> UInt8 {
        switch i {
        case 0: UInt8(ascii: "H")
        case 1, 2: UInt8(ascii: "T")
        case 3: UInt8(ascii: "P")
        case 4: UInt8(ascii: "/")
        case 5: UInt8(ascii: "1")
        default: UInt8(ascii: ".")
        }
    }

    /// Whether a field name of this length may be one that matters.
    @inline(__always)
    private static func isInterestingLength(_ length: Int) -> Bool {
        length == 10 || length == 14 || length == 17
    }

    /// Which field the name just read is (only the three that matter are told apart).
    private func identifyField() -> Field {
        switch nameLength {
        case 10 where Self.equals(name, "connection"): .connection
        case 14 where Self.equals(name, "content-length"): .contentLength
        case 17 where Self.equals(name, "transfer-encoding"): .transferEncoding
        default: .other
        }
    }

    /// Whether `bytes` (already lowercase) spell `literal`.
    private static func equals(_ bytes: [UInt8], _ literal: StaticString) -> Bool {
        guard bytes.count == literal.utf8CodeUnitCount else { return false }
        return literal.withUTF8Buffer { expected in
            for k in 0..<expected.count where bytes[k] != expected[k] { return false }
            return true
        }
    }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return b &- UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return b &- UInt8(ascii: "a") &+ 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return b &- UInt8(ascii: "A") &+ 10
        default: return nil
        }
    }

    private static let chunkedToken: [UInt8] = Array("chunked".utf8)
    private static let closeToken: [UInt8] = Array("close".utf8)
    private static let keepAliveToken: [UInt8] = Array("keep-alive".utf8)

    /// Calls `body` with the range of each comma-separated, whitespace-trimmed, non-empty element of a list value.
    private static func forEachToken(in value: [UInt8], from start: Int, _ body: (Range<Int>) -> Void) {
        var i = start
        while i < value.count {
            while i < value.count && (value[i] == 32 || value[i] == 9 || value[i] == UInt8(ascii: ",")) { i += 1 }
            let tokenStart = i
            while i < value.count && value[i] != UInt8(ascii: ",") { i += 1 }
            var tokenEnd = i
            while tokenEnd > tokenStart && (value[tokenEnd - 1] == 32 || value[tokenEnd - 1] == 9) { tokenEnd -= 1 }
            if tokenEnd > tokenStart { body(tokenStart..<tokenEnd) }
        }
    }

    /// Whether `value[range]` equals the lowercase ASCII `token`, ignoring case.
    private static func equalsLowercase(_ value: [UInt8], _ range: Range<Int>, _ token: [UInt8]) -> Bool {
        guard range.count == token.count else { return false }
        for (offset, expected) in token.enumerated() {
            let b = value[range.lowerBound + offset]
            if ((b >= 65 && b <= 90) ? b | 0x20 : b) != expected { return false }
        }
        return true
    }
}

/// The index of the first `byte` in `span` at or after `start`, or nil (memchr: the parser's one use of pointers).
func firstIndex(of byte: UInt8, in span: Span<UInt8>, from start: Int) -> Int? {
    guard start < span.count else { return nil }
    return span.withUnsafeBufferPointer { buffer -> Int? in
        guard let base = buffer.baseAddress, let hit = memchr(base + start, Int32(byte), buffer.count - start) else {
            return nil
        }
        return UnsafeRawPointer(hit) - UnsafeRawPointer(base)
    }
}
