// libFuzzer target for HTTPRequestParser. Built by scripts/fuzz-parser together with the three parser sources:
//   swiftc -parse-as-library -sanitize=fuzzer,address ... Sources/LitUV/HTTP/*.swift Fuzz/ParserFuzz/main.swift
// For every input it checks that the parser
//   - never traps (libFuzzer reports a crash; ASan reports out-of-bounds reads),
//   - never reports `consumed` larger than the buffer, nor ranges outside it,
//   - gives the same heads, body bytes and final result (including the error) whether the input arrives whole,
//     one byte at a time, or in pseudo-random pieces,
// each with the default limits and with small limits (so the 413/414/431 paths are reached).

/// What a parse produced, independent of how the input was split into reads.
enum Event: Equatable {
    case head(HTTPRequestHead)  // ranges shifted to offsets in the whole input
    case body([UInt8])  // consecutive slices merged
    case end
    case error(HTTPParseError)
    case incomplete(pending: Int)
}

func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition {
        // A trap is what libFuzzer reports as a crash (and saves the input for).
        fatalError("ParserFuzz invariant violated: \(message())")
    }
}

func shifted(_ head: HTTPRequestHead, by d: Int) -> HTTPRequestHead {
    func s(_ r: Range<Int>) -> Range<Int> { (r.lowerBound + d)..<(r.upperBound + d) }
    var h = head
    h.methodRange = s(h.methodRange)
    h.target = s(h.target)
    h.path = s(h.path)
    h.headers = h.headers.map { (name: s($0.name), value: s($0.value)) }
    h.authorization = h.authorization.map(s)
    return h
}

/// Feeds `input` in pieces whose sizes come from `nextPieceSize`, following the parser's contract: the unconsumed
/// bytes are presented again, followed by the next piece.
func run(
    _ input: UnsafeRawBufferPointer,
    limits: HTTPLimits,
    nextPieceSize: (Int) -> Int
) -> [Event] {
    var parser = HTTPRequestParser(limits: limits)
    var events: [Event] = []
    var start = 0  // first unconsumed byte
    var fed = 0  // bytes made available so far
    var calls = 0
    while fed < input.count {
        fed = min(input.count, fed + max(1, nextPieceSize(fed)))
        reading: while true {
            calls += 1
            check(calls <= 4 * input.count + 16, "no progress")
            let buffer = UnsafeRawBufferPointer(rebasing: input[start..<fed])
            let count = buffer.count
            let result = parser.parse(buffer)
            func consume(_ n: Int) {
                check(n >= 0 && n <= count, "consumed \(n) of \(count)")
                start += n
            }
            switch result {
            case .needMore(let consumed):
                consume(consumed)
                break reading
            case .head(let head, let consumed):
                check(consumed == head.length && consumed > 0, "head length \(head.length), consumed \(consumed)")
                check(head.target.upperBound <= count && head.path.upperBound <= head.target.upperBound, "target")
                for field in head.headers {
                    check(field.name.lowerBound >= 0 && field.value.upperBound <= consumed, "field range")
                }
                events.append(.head(shifted(head, by: start)))
                consume(consumed)
            case .body(let range, let consumed):
                check(!range.isEmpty && range.lowerBound >= 0 && range.upperBound <= consumed, "body range")
                check(consumed <= count, "body consumed \(consumed) of \(count)")
                let slice = Array(buffer[range])
                if case .body(let previous) = events.last {
                    events[events.count - 1] = .body(previous + slice)
                } else {
                    events.append(.body(slice))
                }
                consume(consumed)
            case .end(let consumed):
                events.append(.end)
                consume(consumed)
            case .error(let error):
                check([400, 413, 414, 431, 501, 505].contains(error.status), "status \(error.status)")
                check(parser.parse(buffer) == .error(error), "error not sticky")
                events.append(.error(error))
                return events
            }
        }
    }
    if start < input.count || events.last != .end {
        events.append(.incomplete(pending: input.count - start))
    }
    return events
}

let smallLimits = HTTPLimits(maxRequestLineLength: 64, maxHeaderBytes: 128, maxHeaderCount: 4, maxPayloadSize: 64)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size)
    for limits in [HTTPLimits(), smallLimits] {
        let whole = run(input, limits: limits) { _ in Int.max }
        let bytewise = run(input, limits: limits) { _ in 1 }
        check(whole == bytewise, "one byte at a time: \(bytewise)\n  whole: \(whole)")
        // Pieces of 1...16 bytes chosen from the input itself, so the split is reproducible.
        let pieces = run(input, limits: limits) { at in Int(input[at % max(1, input.count)] & 15) + 1 }
        check(whole == pieces, "pieces: \(pieces)\n  whole: \(whole)")
    }
    return 0
}
