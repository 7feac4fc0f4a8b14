/// The chunked transfer coding of a request body (RFC 9112 §7.1): chunk sizes, extensions, data and trailers, parsed
/// incrementally like the head.
extension HTTPRequestParser {

    mutating func parseChunked(_ buffer: UnsafeRawBufferPointer) -> HTTPParseResult {
        let end = buffer.count
        guard end > 0, let base = buffer.baseAddress else { return .needMore(consumed: 0) }
        var i = 0
        while i < end {
            switch chunk.step {
            case .sizeStart:
                guard let digit = Self.hexValue(Self.load(base, i)) else { return fail(400, "Invalid chunk size") }
                chunk.size = UInt64(digit)
                chunk.digits = 1
                chunk.extensionLength = 0
                chunk.step = .size
                i += 1

            case .size:
                let b = Self.load(base, i)
                if let digit = Self.hexValue(b) {
                    chunk.digits += 1
                    guard chunk.digits <= 16 else { return fail(400, "Chunk size too long") }
                    chunk.size = chunk.size << 4 | UInt64(digit)
                    i += 1
                    continue
                }
                // The size is complete: enforce the payload limit as soon as it is known.
                guard chunk.size <= UInt64(maxPayload - chunk.total) else {
                    return fail(413, "Request body too large")
                }
                switch b {
                case .semicolon:
                    chunk.step = .chunkExtension
                    chunk.extensionStep = .beforeName
                case .cr: chunk.step = .sizeLF
                case .space, .tab: chunk.step = .sizeBWS
                case .lf: return fail(400, "Bare LF in chunk size line")
                default: return fail(400, "Invalid chunk size")
                }
                i += 1

            case .sizeBWS:
                // Whitespace after the size is only allowed before an extension's ";".
                let b = Self.load(base, i)
                if b == .semicolon {
                    chunk.step = .chunkExtension
                    chunk.extensionStep = .beforeName
                } else if b == .cr {
                    return fail(400, "Whitespace before the end of a chunk size line")
                } else if b != .space && b != .tab {
                    return fail(400, "Invalid chunk size")
                }
                i += 1

            case .chunkExtension:
                while i < end {
                    let b = Self.load(base, i)
                    if b == .cr {
                        if let problem = Self.extensionEndProblem(chunk.extensionStep) { return fail(400, problem) }
                        break
                    }
                    if b == .lf { return fail(400, "Bare LF in chunk size line") }
                    guard let next = Self.nextExtensionStep(chunk.extensionStep, b) else {
                        return b == .semicolon || b == UInt8(ascii: "=")
                            ? fail(400, "Chunk extension without a name or value")
                            : fail(400, "Invalid character in chunk extension")
                    }
                    chunk.extensionStep = next
                    chunk.extensionLength += 1
                    guard chunk.extensionLength <= Self.maxChunkExtensionLength else {
                        return fail(400, "Chunk extension too long")
                    }
                    i += 1
                }
                guard i < end else { break }
                chunk.step = .sizeLF
                i += 1

            case .sizeLF:
                guard Self.load(base, i) == .lf else { return fail(400, "Bare CR in chunk size line") }
                i += 1
                if chunk.size == 0 {
                    chunk.step = .trailerLineStart
                } else {
                    // size <= maxPayload - total, checked above, so this fits in an Int.
                    chunk.remaining = Int(truncatingIfNeeded: chunk.size)
                    chunk.total += chunk.remaining
                    chunk.step = .data
                }

            case .data:
                let n = min(chunk.remaining, end - i)
                chunk.remaining -= n
                if chunk.remaining == 0 { chunk.step = .dataCR }
                return .body(i..<(i + n), consumed: i + n)

            case .dataCR:
                guard Self.load(base, i) == .cr else { return fail(400, "Missing CRLF after chunk data") }
                chunk.step = .dataLF
                i += 1

            case .dataLF:
                guard Self.load(base, i) == .lf else { return fail(400, "Missing CRLF after chunk data") }
                chunk.step = .sizeStart
                i += 1

            case .trailerLineStart:
                let b = Self.load(base, i)
                if b == .cr {
                    chunk.step = .finalLF
                    i += 1
                    continue
                }
                if chunk.trailerBytes >= maxHeaderBytes { return fail(431, "Trailer fields too large") }
                if b == .space || b == .tab { return fail(400, "Obsolete line folding in trailer") }
                if b == .lf { return fail(400, "Bare LF in trailer") }
                if chunk.trailerCount >= maxHeaderCount { return fail(431, "Too many trailer fields") }
                chunk.trailerCount += 1
                chunk.trailerNameLength = 0
                chunk.step = .trailerName

            case .trailerName:
                let b = Self.load(base, i)
                if chunk.trailerBytes >= maxHeaderBytes { return fail(431, "Trailer fields too large") }
                if b == .colon {
                    guard chunk.trailerNameLength > 0 else { return fail(400, "Empty trailer field name") }
                    chunk.step = .trailerValue
                } else if Self.isTokenChar(b) {
                    chunk.trailerNameLength += 1
                } else if b == .space || b == .tab {
                    return fail(400, "Whitespace before colon in trailer field")
                } else {
                    return fail(400, "Invalid trailer field name")
                }
                chunk.trailerBytes += 1
                i += 1

            case .trailerValue:
                while i < end {
                    let b = Self.load(base, i)
                    if chunk.trailerBytes >= maxHeaderBytes { return fail(431, "Trailer fields too large") }
                    if b == .cr { break }
                    guard Self.isFieldValueChar(b) else {
                        return b == .lf
                            ? fail(400, "Bare LF in trailer") : fail(400, "Invalid character in trailer field value")
                    }
                    chunk.trailerBytes += 1
                    i += 1
                }
                guard i < end else { break }
                chunk.trailerBytes += 1
                chunk.step = .trailerLF
                i += 1

            case .trailerLF:
                if chunk.trailerBytes >= maxHeaderBytes { return fail(431, "Trailer fields too large") }
                guard Self.load(base, i) == .lf else { return fail(400, "Bare CR in trailer") }
                chunk.trailerBytes += 1
                chunk.step = .trailerLineStart
                i += 1

            case .finalLF:
                guard Self.load(base, i) == .lf else { return fail(400, "Bare CR in trailer") }
                finishRequest()
                return .end(consumed: i + 1)
            }
        }
        return .needMore(consumed: i)
    }

    /// The state after byte `b` of a chunk extension (RFC 9112 §7.1.1), or nil when `b` cannot come next. CR is
    /// handled by the caller (`extensionEndProblem`).
    @inline(__always)
    static func nextExtensionStep(_ step: ExtensionStep, _ b: UInt8) -> ExtensionStep? {
        let isWhitespace = b == .space || b == .tab
        switch step {
        case .beforeName:
            if isWhitespace { return .beforeName }
            return isTokenChar(b) ? .name : nil
        case .name, .afterName:
            if isTokenChar(b) && step == .name { return .name }
            if isWhitespace { return .afterName }
            if b == UInt8(ascii: "=") { return .beforeValue }
            return b == .semicolon ? .beforeName : nil
        case .beforeValue:
            if isWhitespace { return .beforeValue }
            if b == UInt8(ascii: "\"") { return .quoted }
            return isTokenChar(b) ? .token : nil
        case .token, .afterQuoted, .afterValue:
            if isTokenChar(b) && step == .token { return .token }
            if isWhitespace { return .afterValue }
            return b == .semicolon ? .beforeName : nil
        case .quoted:
            // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
            if b == UInt8(ascii: "\"") { return .afterQuoted }
            if b == UInt8(ascii: "\\") { return .quotedPair }
            return isFieldValueChar(b) ? .quoted : nil
        case .quotedPair:
            // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
            return isFieldValueChar(b) ? .quoted : nil
        }
    }

    /// Why a chunk size line cannot end (CR) in this state of its extension, or nil when it can.
    static func extensionEndProblem(_ step: ExtensionStep) -> String? {
        switch step {
        case .name, .token, .afterQuoted: nil
        case .beforeName: "Chunk extension without a name"
        case .beforeValue: "Chunk extension without a value after \"=\""
        case .afterName, .afterValue: "Whitespace before the end of a chunk size line"
        case .quoted, .quotedPair: "Unterminated quoted string in chunk extension"
        }
    }
}
