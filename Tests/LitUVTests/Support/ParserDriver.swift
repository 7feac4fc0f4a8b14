import Testing

@_spi(Benchmarks) @testable import LitUV

// Drives `HTTPRequestParser` for the parser tests: whole, byte by byte, at every split (the feeding itself is in
// ParserFeeding.swift).

/// Feeds `input` to a fresh parser in pieces of the given sizes (the last piece takes the rest), following the
/// contract: unconsumed bytes are presented again, followed by the next piece. Records every broken invariant as an
/// issue (see `feedParser`, shared with the fuzz target).
func driveParser(
    _ input: [UInt8],
    pieces: [Int],
    limits: HTTPLimits = .init(),
    sourceLocation: SourceLocation = #_sourceLocation
) -> [ParserEvent] {
    var pieceIndex = 0
    return input.withUnsafeBytes { bytes in
        feedParser(
            bytes,
            limits: limits,
            violation: { Issue.record(Comment(rawValue: $0), sourceLocation: sourceLocation) },
            nextPieceSize: { _ in
                defer { pieceIndex += 1 }
                return pieceIndex < pieces.count ? pieces[pieceIndex] : Int.max
            }
        )
    }
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
