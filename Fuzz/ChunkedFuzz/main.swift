// libFuzzer target for the chunked transfer coding of request bodies (HTTPRequestParser+Chunked.swift), through the
// parser as a connection drives it. Built by `scripts/fuzz chunked` from the parser sources, the feeding code the
// parser tests share (Tests/LitUVTests/Support/ParserFeeding.swift) and this file.
//
// Every input is used twice:
//   1. As a recipe for a valid chunked request: the bytes choose the chunks (sizes, how the size is written: case,
//      leading zeros), the data (taken from the input, so CR, LF and "0\r\n\r\n" appear inside data), valid chunk
//      extensions (with and without values, tokens and quoted strings with escapes, whitespace before `;` and
//      around `=`), the trailer fields, and the payload limit. The stream is followed by a pipelined GET. The parser
//      must hand out exactly the reference body, then `.end`, then the GET — or, when the body is over the limit,
//      413 — and the same whether the bytes arrive whole, one at a time or in pieces.
//   2. As raw bytes after a chunked request head: any result is allowed, but the parser must keep the invariants
//      `feedParser` checks on every call (no trap, no out-of-bounds read, progress, ranges within the buffer, sticky
//      errors with a known status) and give the same result for every way of splitting the input.

func violated(_ message: String) -> Never {
    fatalError("ChunkedFuzz invariant violated: \(message)")
}

func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { violated(message()) }
}

/// Reads choices from the input; past its end every choice is 0.
struct Recipe {
    let bytes: UnsafeRawBufferPointer
    var at = 0

    mutating func next() -> Int {
        defer { at += 1 }
        return at < bytes.count ? Int(bytes[at]) : 0
    }

    mutating func data(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) }
    }
}

let head = Array("POST /predict HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
let pipelined = Array("GET /next HTTP/1.1\r\nHost: a\r\n\r\n".utf8)
let tokens = ["a", "name", "x-Ext_1", "!#$%&'*+-.^_`|~9"]
let quoted = ["\"\"", "\"a b\"", "\"q\\\"uote\"", "\"tab\there\"", "\"\\\\\"", "\"obs\u{E9}\""]

/// A valid chunk extension (RFC 9112 §7.1.1), or none.
func chunkExtension(_ recipe: inout Recipe) -> String {
    var result = ""
    for _ in 0..<(recipe.next() % 3) {
        let shape = recipe.next()
        let ows = [" ", "\t", "", ""][shape & 3]
        result += ows + ";" + ows + tokens[(shape >> 2) % tokens.count]
        switch (shape >> 4) % 3 {
        case 1: result += ows + "=" + ows + tokens[recipe.next() % tokens.count]
        case 2: result += ows + "=" + ows + quoted[recipe.next() % quoted.count]
        default: break
        }
    }
    return result
}

/// The size as the recipe chooses to write it: upper or lower case hex, up to 15 leading zeros (16 digits at most).
func hexSize(_ size: Int, _ recipe: inout Recipe) -> String {
    let style = recipe.next()
    let digits = String(size, radix: 16, uppercase: style & 1 == 1)
    return String(repeating: "0", count: min((style >> 1) & 15, 16 - digits.count)) + digits
}

/// A valid chunked body, the body it decodes to, and the payload limit to parse it with.
func validStream(_ input: UnsafeRawBufferPointer) -> (stream: [UInt8], body: [UInt8], limit: Int) {
    var recipe = Recipe(bytes: input)
    var stream = head
    var body: [UInt8] = []
    for _ in 0..<(recipe.next() % 6) {
        let size = 1 + recipe.next() % 40
        stream += Array((hexSize(size, &recipe) + chunkExtension(&recipe) + "\r\n").utf8)
        let data = recipe.data(size)
        stream += data + Array("\r\n".utf8)
        body += data
    }
    stream += Array((hexSize(0, &recipe) + chunkExtension(&recipe) + "\r\n").utf8)
    for index in 0..<(recipe.next() % 3) {
        stream += Array("T\(index): \(tokens[recipe.next() % tokens.count]) x\r\n".utf8)
    }
    stream += Array("\r\n".utf8) + pipelined
    let limitChoice = recipe.next()
    let limit = limitChoice < 128 ? HTTPLimits().maxPayloadSize : limitChoice - 128
    return (stream, body, limit)
}

/// Feeds whole, one byte at a time and in pieces of 1–16 bytes chosen from the input; returns the common result.
func feedEveryWay(_ bytes: UnsafeRawBufferPointer, limits: HTTPLimits, sizes: UnsafeRawBufferPointer) -> [ParserEvent] {
    let whole = feedParser(bytes, limits: limits, violation: { violated($0) }, nextPieceSize: { _ in Int.max })
    let bytewise = feedParser(bytes, limits: limits, violation: { violated($0) }, nextPieceSize: { _ in 1 })
    check(whole == bytewise, "one byte at a time: \(bytewise)\n  whole: \(whole)")
    let pieces = feedParser(
        bytes,
        limits: limits,
        violation: { violated($0) },
        nextPieceSize: { at in sizes.isEmpty ? 7 : Int(sizes[at % sizes.count] & 15) + 1 }
    )
    check(whole == pieces, "pieces: \(pieces)\n  whole: \(whole)")
    return whole
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size)

    // 1. A valid stream built from the input decodes to the reference body (or 413 past the limit).
    let (stream, body, limit) = validStream(input)
    let limits = HTTPLimits(maxPayloadSize: limit)
    let events = stream.withUnsafeBytes { feedEveryWay($0, limits: limits, sizes: input) }
    var text: String { String(decoding: stream, as: UTF8.self).debugDescription }
    guard events.count >= 2, case .head(let first) = events[0], first.isChunked else {
        violated("no chunked head: \(events) for \(text)")
    }
    if body.count > limit {
        guard case .error(let error) = events.last, error.status == 413 else {
            violated("a \(body.count)-byte body over a \(limit)-byte limit: \(events) for \(text)")
        }
    } else {
        let expected: [ParserEvent] = body.isEmpty ? [.end] : [.body(body), .end]
        check(Array(events[1...].prefix(expected.count)) == expected, "decoded \(events), expected \(body) for \(text)")
        let rest = events.dropFirst(1 + expected.count)
        guard rest.count == 2, case .head(let next) = rest.first, rest.last == .end,
            next.target.count == "/next".utf8.count
        else { violated("the pipelined request after the body: \(Array(rest)) for \(text)") }
    }

    // 2. Arbitrary bytes as a chunked body: only the invariants, whatever the result.
    let raw = head + Array(input)
    _ = raw.withUnsafeBytes { feedEveryWay($0, limits: HTTPLimits(), sizes: input) }
    _ = raw.withUnsafeBytes {
        feedEveryWay($0, limits: HTTPLimits(maxHeaderBytes: 128, maxHeaderCount: 4, maxPayloadSize: 64), sizes: input)
    }
    return 0
}
