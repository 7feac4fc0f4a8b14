// The byte scanner: a strict RFC 8259 parser that validates a whole document (tokens, numbers, strings with
// their escapes and UTF-8) and records it on a tape of `JSONNode`s for the decoder to walk.

/// A strict RFC 8259 parser that validates a document and records it as a tape of `JSONNode`s.
///
/// Rejects trailing commas, comments, leading zeros, NaN and Infinity, single quotes, trailing bytes other
/// than whitespace, invalid UTF-8, unescaped control characters in strings, lone surrogate escapes, and
/// nesting deeper than `LitJSON.maximumDepth`.
struct JSONParser {
    /// The document.
    private let bytes: UnsafePointer<UInt8>
    /// The document's length.
    private let end: Int
    /// The next byte to read.
    private var position = 0
    /// The nodes so far.
    private var tape: UnsafeMutablePointer<JSONNode>
    /// How many nodes fit in `tape`.
    private var capacity: Int
    /// How many nodes have been written.
    private var count = 0
    /// Whether `tape` was allocated by the parser (after outgrowing the caller's scratch space).
    private var ownsTape = false

    /// How many nodes the caller's scratch space on the stack holds.
    static var stackCapacity: Int { MemoryLayout<JSONScratch>.size / MemoryLayout<JSONNode>.stride }

    /// Creates a parser over a non-empty document.
    /// - Parameters:
    ///   - bytes: The first byte.
    ///   - count: The number of bytes.
    ///   - scratch: Space for the first nodes.
    private init(bytes: UnsafePointer<UInt8>, count: Int, scratch: UnsafeMutableBufferPointer<JSONNode>) {
        self.bytes = bytes
        self.end = count
        self.tape = scratch.baseAddress!
        self.capacity = scratch.count
    }

    /// Appends a node, growing the tape onto the heap when the scratch space is full.
    /// - Parameter node: The node.
    @inline(__always)
    private mutating func append(_ node: JSONNode) {
        if count == capacity {
            grow()
        }
        tape[count] = node
        count += 1
    }

    /// Doubles the tape's capacity.
    private mutating func grow() {
        let larger = UnsafeMutablePointer<JSONNode>.allocate(capacity: max(capacity * 2, 256))
        larger.initialize(from: tape, count: count)
        if ownsTape {
            tape.deallocate()
        }
        tape = larger
        capacity = max(capacity * 2, 256)
        ownsTape = true
    }

    /// Parses a whole document.
    ///
    /// The returned tape ends with one extra null node, which stands for absent values (`superDecoder()` for a
    /// missing key).
    /// - Parameter buffer: The document.
    /// - Returns: The tape.
    /// - Throws: `JSONError` with the byte offset of the first problem.
    static func parse(
        _ buffer: UnsafeRawBufferPointer,
        scratch: UnsafeMutableBufferPointer<JSONNode>
    )
        throws(JSONError) -> JSONTape
    {
        guard let base = buffer.baseAddress, buffer.count > 0 else {
            throw JSONError.syntax(at: 0, "unexpected end of input")
        }
        guard buffer.count < Int(UInt32.max) else {
            throw JSONError.syntax(at: 0, "document too large")
        }
        let bytes = base.assumingMemoryBound(to: UInt8.self)
        var parser = JSONParser(bytes: bytes, count: buffer.count, scratch: scratch)
        do throws(JSONError) {
            parser.skipWhitespace()
            try parser.parseValue(depth: 0)
            parser.skipWhitespace()
            if parser.position < parser.end {
                throw JSONError.syntax(
                    at: parser.position,
                    "\(parser.describeByte(at: parser.position)) after the top-level value"
                )
            }
        } catch {
            if parser.ownsTape {
                parser.tape.deallocate()
            }
            throw error
        }
        parser.append(JSONNode(kind: .null, flag: false, start: 0, length: 0, next: UInt32(parser.count + 1)))
        return JSONTape(bytes: bytes, nodes: parser.tape, count: parser.count, ownsNodes: parser.ownsTape)
    }

    /// Skips JSON whitespace (space, tab, line feed, carriage return).
    @inline(__always)
    private mutating func skipWhitespace() {
        while position < end {
            switch bytes[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1
            default: return
            }
        }
    }

    /// `unexpected character 'x'`, or `unexpected byte 0xNN` for bytes that are not printable ASCII.
    /// - Parameter offset: The offset of the byte.
    /// - Returns: The phrase.
    private func describeByte(at offset: Int) -> String {
        let byte = bytes[offset]
        if byte == UInt8(ascii: "'") {
            return "unexpected character ''' (strings must use double quotes)"
        }
        if byte >= 0x21 && byte <= 0x7E {
            return "unexpected character '\(Character(Unicode.Scalar(byte)))'"
        }
        let hex = String(byte, radix: 16, uppercase: true)
        return "unexpected byte 0x\(byte < 0x10 ? "0" : "")\(hex)"
    }

    /// The error for an unexpected byte at `offset`, or for the end of input there.
    /// - Parameter offset: Where parsing stopped.
    /// - Returns: The error.
    private func unexpected(at offset: Int) -> JSONError {
        if offset >= end {
            return JSONError.syntax(at: end, "unexpected end of input")
        }
        return JSONError.syntax(at: offset, describeByte(at: offset))
    }

    /// Appends a node for a scalar and returns.
    /// - Parameters:
    ///   - kind: The kind of value.
    ///   - flag: The node's flag.
    ///   - start: Offset of the text.
    ///   - length: Length of the text.
    @inline(__always)
    private mutating func appendScalar(_ kind: JSONNode.Kind, flag: Bool, start: Int, length: Int) {
        append(JSONNode(kind: kind, flag: flag, start: UInt32(start), length: UInt32(length), next: UInt32(count + 1)))
    }

    /// Parses one value at the current position (after whitespace).
    /// - Parameter depth: The nesting depth of the enclosing container (0 at the top level).
    private mutating func parseValue(depth: Int) throws(JSONError) {
        guard position < end else {
            throw unexpected(at: position)
        }
        switch bytes[position] {
        case UInt8(ascii: "{"):
            try parseObject(depth: depth + 1)
        case UInt8(ascii: "["):
            try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""):
            try parseString()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            try parseNumber()
        case UInt8(ascii: "t"):
            try parseLiteral("true", .true)
        case UInt8(ascii: "f"):
            try parseLiteral("false", .false)
        case UInt8(ascii: "n"):
            try parseLiteral("null", .null)
        default:
            throw unexpected(at: position)
        }
    }

    /// Parses `true`, `false` or `null`.
    /// - Parameters:
    ///   - literal: The expected text.
    ///   - kind: The node kind to record.
    private mutating func parseLiteral(_ literal: StaticString, _ kind: JSONNode.Kind) throws(JSONError) {
        let start = position
        let count = literal.utf8CodeUnitCount
        let text = literal.utf8Start
        for offset in 0..<count {
            guard position < end, bytes[position] == text[offset] else {
                if position >= end {
                    throw unexpected(at: position)
                }
                throw JSONError.syntax(at: start, "invalid literal (expected '\(literal)')")
            }
            position += 1
        }
        appendScalar(kind, flag: false, start: start, length: count)
    }

    /// Parses an object.
    /// - Parameter depth: The object's nesting depth.
    private mutating func parseObject(depth: Int) throws(JSONError) {
        guard depth <= LitJSON.maximumDepth else {
            throw JSONError.syntax(at: position, "nesting deeper than \(LitJSON.maximumDepth) levels")
        }
        let index = count
        append(JSONNode(kind: .object, flag: false, start: UInt32(position), length: 0, next: 0))
        position += 1
        skipWhitespace()
        var members: UInt32 = 0
        if position < end && bytes[position] == UInt8(ascii: "}") {
            position += 1
        } else {
            while true {
                guard position < end, bytes[position] == UInt8(ascii: "\"") else {
                    throw unexpected(at: position)
                }
                try parseString()
                skipWhitespace()
                guard position < end, bytes[position] == UInt8(ascii: ":") else {
                    throw unexpected(at: position)
                }
                position += 1
                skipWhitespace()
                try parseValue(depth: depth)
                members += 1
                skipWhitespace()
                guard position < end else {
                    throw unexpected(at: position)
                }
                let byte = bytes[position]
                position += 1
                if byte == UInt8(ascii: ",") {
                    skipWhitespace()
                    continue
                }
                if byte == UInt8(ascii: "}") {
                    break
                }
                throw unexpected(at: position - 1)
            }
        }
        tape[index].length = members
        tape[index].next = UInt32(count)
    }

    /// Parses an array.
    /// - Parameter depth: The array's nesting depth.
    private mutating func parseArray(depth: Int) throws(JSONError) {
        guard depth <= LitJSON.maximumDepth else {
            throw JSONError.syntax(at: position, "nesting deeper than \(LitJSON.maximumDepth) levels")
        }
        let index = count
        append(JSONNode(kind: .array, flag: false, start: UInt32(position), length: 0, next: 0))
        position += 1
        skipWhitespace()
        var members: UInt32 = 0
        if position < end && bytes[position] == UInt8(ascii: "]") {
            position += 1
        } else {
            while true {
                try parseValue(depth: depth)
                members += 1
                skipWhitespace()
                guard position < end else {
                    throw unexpected(at: position)
                }
                let byte = bytes[position]
                position += 1
                if byte == UInt8(ascii: ",") {
                    skipWhitespace()
                    continue
                }
                if byte == UInt8(ascii: "]") {
                    break
                }
                throw unexpected(at: position - 1)
            }
        }
        tape[index].length = members
        tape[index].next = UInt32(count)
    }

    /// Parses a number: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    private mutating func parseNumber() throws(JSONError) {
        let start = position
        if bytes[position] == UInt8(ascii: "-") {
            position += 1
        }
        guard position < end else {
            throw unexpected(at: position)
        }
        let first = bytes[position]
        if first == UInt8(ascii: "0") {
            position += 1
            if position < end && isDigit(bytes[position]) {
                throw JSONError.syntax(at: start, "leading zeros are not allowed in numbers")
            }
        } else if isDigit(first) {
            position += 1
            while position < end && isDigit(bytes[position]) {
                position += 1
            }
        } else {
            throw JSONError.syntax(at: position, "expected a digit after '-'")
        }
        var isInteger = true
        if position < end && bytes[position] == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            guard position < end, isDigit(bytes[position]) else {
                throw JSONError.syntax(at: min(position, end), "expected a digit after the decimal point")
            }
            while position < end && isDigit(bytes[position]) {
                position += 1
            }
        }
        if position < end && (bytes[position] | 0x20) == UInt8(ascii: "e") {
            isInteger = false
            position += 1
            if position < end && (bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-")) {
                position += 1
            }
            guard position < end, isDigit(bytes[position]) else {
                throw JSONError.syntax(at: min(position, end), "expected a digit in the exponent")
            }
            while position < end && isDigit(bytes[position]) {
                position += 1
            }
        }
        appendScalar(.number, flag: isInteger, start: start, length: position - start)
    }

    /// Whether a byte is an ASCII digit.
    /// - Parameter byte: The byte.
    /// - Returns: `true` for `0`...`9`.
    @inline(__always)
    private func isDigit(_ byte: UInt8) -> Bool {
        byte &- UInt8(ascii: "0") < 10
    }

    /// Parses a string (the position is at the opening quote), validating escapes and UTF-8.
    private mutating func parseString() throws(JSONError) {
        position += 1
        let start = position
        var hasEscapes = false
        while true {
            // Eight bytes at a time up to the next quote, backslash, control character or non-ASCII byte.
            while position + 8 <= end {
                let word = UInt64(littleEndian: UnsafeRawPointer(bytes + position).loadUnaligned(as: UInt64.self))
                let special = Self.specialBytes(word)
                if special != 0 {
                    position += special.trailingZeroBitCount >> 3
                    break
                }
                position += 8
            }
            guard position < end else {
                throw JSONError.syntax(at: end, "unexpected end of input (unterminated string)")
            }
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                break
            }
            if byte == UInt8(ascii: "\\") {
                hasEscapes = true
                try parseEscape()
            } else if byte < 0x20 {
                throw JSONError.syntax(at: position, "unescaped control character in string")
            } else if byte >= 0x80 {
                try validateUTF8Sequence()
            } else {
                position += 1
            }
        }
        appendScalar(.string, flag: hasEscapes, start: start, length: position - start)
        position += 1
    }

    /// Marks the bytes among eight (first byte lowest) that are `"`, `\`, below 0x20 or above 0x7F.
    ///
    /// The lowest marked byte is always a special one (bytes above it may be marked falsely, by borrows).
    /// - Parameter word: Eight bytes, the first in the lowest bits.
    /// - Returns: The high bit of each marked byte.
    @inline(__always)
    private static func specialBytes(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let hasQuote = (quote &- ones) & ~quote
        let hasBackslash = (backslash &- ones) & ~backslash
        let hasControl = (word &- ones &* 0x20) & ~word
        return (hasQuote | hasBackslash | hasControl | word) & highs
    }

    /// Validates one backslash escape (the position is at the backslash) and moves past it.
    private mutating func parseEscape() throws(JSONError) {
        let start = position
        guard position + 1 < end else {
            throw JSONError.syntax(at: end, "unexpected end of input (unterminated string)")
        }
        switch bytes[position + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
            UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            position += 2
        case UInt8(ascii: "u"):
            let unit = try hexEscape(at: start)
            position += 6
            if unit >= 0xD800 && unit <= 0xDBFF {
                guard position + 1 < end, bytes[position] == UInt8(ascii: "\\"),
                    bytes[position + 1] == UInt8(ascii: "u")
                else {
                    throw JSONError.syntax(at: start, "unpaired surrogate in \\u escape")
                }
                let low = try hexEscape(at: position)
                guard low >= 0xDC00 && low <= 0xDFFF else {
                    throw JSONError.syntax(at: start, "unpaired surrogate in \\u escape")
                }
                position += 6
            } else if unit >= 0xDC00 && unit <= 0xDFFF {
                throw JSONError.syntax(at: start, "unpaired surrogate in \\u escape")
            }
        default:
            throw JSONError.syntax(at: start, "invalid escape sequence in string")
        }
    }

    /// Reads the four hex digits of a `\uXXXX` escape starting at `offset` (the backslash).
    /// - Parameter offset: The offset of the backslash.
    /// - Returns: The UTF-16 code unit.
    private func hexEscape(at offset: Int) throws(JSONError) -> UInt16 {
        guard offset + 6 <= end else {
            throw JSONError.syntax(at: end, "unexpected end of input (unterminated string)")
        }
        var unit: UInt16 = 0
        for index in (offset + 2)..<(offset + 6) {
            guard let digit = JSONParser.hexValue(bytes[index]) else {
                throw JSONError.syntax(at: offset, "invalid \\u escape (expected four hex digits)")
            }
            unit = unit << 4 | UInt16(digit)
        }
        return unit
    }

    /// The value of a hex digit.
    /// - Parameter byte: An ASCII byte.
    /// - Returns: 0...15, or `nil`.
    @inline(__always)
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Validates one multi-byte UTF-8 sequence (RFC 3629: no overlong forms, no surrogates, nothing above
    /// U+10FFFF) and moves past it.
    private mutating func validateUTF8Sequence() throws(JSONError) {
        let start = position
        let lead = bytes[position]
        let length: Int
        var secondLow: UInt8 = 0x80
        var secondHigh: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0:
            length = 3
            secondLow = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED:
            length = 3
            secondHigh = 0x9F
        case 0xF0:
            length = 4
            secondLow = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4:
            length = 4
            secondHigh = 0x8F
        default:
            throw JSONError.syntax(at: start, "invalid UTF-8 in string")
        }
        guard position + length <= end else {
            throw JSONError.syntax(at: start, "invalid UTF-8 in string")
        }
        let second = bytes[position + 1]
        guard second >= secondLow && second <= secondHigh else {
            throw JSONError.syntax(at: start, "invalid UTF-8 in string")
        }
        for offset in 2..<length where bytes[position + offset] & 0xC0 != 0x80 {
            throw JSONError.syntax(at: start, "invalid UTF-8 in string")
        }
        position += length
    }
}
