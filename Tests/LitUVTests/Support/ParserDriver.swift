import Testing

@_spi(Benchmarks) @testable import LitUV

// Drives `HTTPRequestParser` the way a connection does, for the parser tests: whole, byte by byte, at every split.

/// What a parse of a whole input produced, independent of how the input was split into reads.
enum ParserEvent: Equatable, CustomStringConvertible {
    case head(HTTPRequestHead)  // ranges shifted to offsets in the whole input
    case body([UInt8])  // consecutive body slices merged
    case end
    case error(HTTPParseError)
    case incomplete(pending: Int)  // input ran out in the middle of a request (bytes left unconsumed)

    var description: String {
        switch self {
        case .head(let h): "head(\(h.method) target \(h.target) len \(h.length) headers \(h.headers.count))"
        case .body(let b): "body(\(String(decoding: b, as: UTF8.self).debugDescription))"
        case .end: "end"
        case .error(let e): "error(\(e.status) \(e.detail))"
        case .incomplete(let n): "incomplete(\(n))"
        }
    }
}

private func shifted(_ head: HTTPRequestHead, by d: Int) -> HTTPRequestHead {
    func s(_ r: Range<Int>) -> Range<Int> { (r.lowerBound + d)..<(r.upperBound + d) }
    var h = head
    h.methodRange = s(h.methodRange)
    h.target = s(h.target)
    h.path = s(h.path)
    h.headers = h.headers.map { (name: s($0.name), value: s($0.value)) }
    h.authorization = h.authorization.map(s)
    return h
}

/// Feeds `input` to a fresh parser in pieces of the given sizes (the last piece takes the rest), following the
/// contract: unconsumed bytes are presented again, followed by the next piece. Checks the invariants on every call.
func driveParser(
    _ input: [UInt8],
    pieces: [Int],
    limits: HTTPLimits = .init(),
    sourceLocation: SourceLocation = #_sourceLocation
) -> [ParserEvent] {
    var parser = HTTPRequestParser(limits: limits)
    var pending: [UInt8] = []
    var consumedTotal = 0
    var events: [ParserEvent] = []
    var offset = 0
    var pieceIndex = 0
    var calls = 0
    while offset < input.count {
        let size = pieceIndex < pieces.count ? max(1, pieces[pieceIndex]) : input.count - offset
        pieceIndex += 1
        let next = min(input.count, offset + size)
        pending += input[offset..<next]
        offset = next
        reading: while true {
            calls += 1
            if calls > 4 * input.count + 100 {
                Issue.record("parser does not make progress", sourceLocation: sourceLocation)
                return events
            }
            let count = pending.count
            let result = pending.withUnsafeBytes { parser.parse($0) }
            func consume(_ n: Int) {
                #expect(n >= 0 && n <= count, "consumed \(n) of \(count)", sourceLocation: sourceLocation)
                let n = max(0, min(n, count))
                pending.removeFirst(n)
                consumedTotal += n
            }
            switch result {
            case .needMore(let consumed):
                consume(consumed)
                break reading
            case .head(let head, let consumed):
                #expect(consumed == head.length, sourceLocation: sourceLocation)
                #expect(head.target.upperBound <= count && head.headers.allSatisfy { $0.value.upperBound <= count })
                // The path is never empty and lies within the target (absolute-form targets route on their path).
                #expect(
                    !head.path.isEmpty && head.path.lowerBound >= head.target.lowerBound
                        && head.path.upperBound <= head.target.upperBound,
                    "path \(head.path), target \(head.target)",
                    sourceLocation: sourceLocation
                )
                events.append(.head(shifted(head, by: consumedTotal)))
                consume(consumed)
            case .body(let range, let consumed):
                #expect(!range.isEmpty && range.lowerBound >= 0 && range.upperBound <= consumed)
                let slice = Array(pending[range.clamped(to: 0..<count)])
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
                events.append(.error(error))
                // Errors are sticky.
                let again = pending.withUnsafeBytes { parser.parse($0) }
                #expect(again == .error(error), sourceLocation: sourceLocation)
                return events
            }
        }
    }
    if !pending.isEmpty || events.last.map({ $0 != .end }) ?? true {
        events.append(.incomplete(pending: pending.count))
    }
    return events
}

func parseWhole(_ input: [UInt8], limits: HTTPLimits = .init()) -> [ParserEvent] {
    driveParser(input, pieces: [], limits: limits)
}

func parseWhole(_ input: String, limits: HTTPLimits = .init()) -> [ParserEvent] {
    parseWhole(Array(input.utf8), limits: limits)
}

/// A small deterministic generator for random splits (SplitMix64).
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Feeds `input` whole, one byte at a time, 2 and 3 bytes at a time, split in two at every position, and in random
/// pieces, and checks that every way gives the same events (heads, body bytes, end, and which error).
func expectSameResultForEverySplit(
    _ input: [UInt8],
    limits: HTTPLimits = .init(),
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let reference = parseWhole(input, limits: limits)
    var splits: [(String, [Int])] = [
        ("1-byte", Array(repeating: 1, count: input.count)),
        ("2-byte", Array(repeating: 2, count: input.count)),
        ("3-byte", Array(repeating: 3, count: input.count)),
    ]
    for k in 1..<max(1, input.count) { splits.append(("split at \(k)", [k])) }
    var rng = SplitMix(state: UInt64(input.count))
    for round in 0..<20 {
        var pieces: [Int] = []
        var total = 0
        while total < input.count {
            let n = Int.random(in: 1...max(1, input.count / 4 + 1), using: &rng)
            pieces.append(n)
            total += n
        }
        splits.append(("random \(round)", pieces))
    }
    for (name, pieces) in splits {
        let events = driveParser(input, pieces: pieces, limits: limits, sourceLocation: sourceLocation)
        if events != reference {
            Issue.record(
                "\(name): \(events) != whole: \(reference) for \(String(decoding: input, as: UTF8.self).debugDescription)",
                sourceLocation: sourceLocation
            )
            return
        }
    }
}

/// Parses `input` whole and returns the first head, with the text of the header values for convenience.
func firstHead(_ input: String, limits: HTTPLimits = .init()) -> HTTPRequestHead? {
    for event in parseWhole(input, limits: limits) {
        if case .head(let head) = event { return head }
    }
    return nil
}
