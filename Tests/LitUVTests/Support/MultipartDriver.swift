import Testing

@testable import LitUV

// Drives `MultipartParser` for the multipart tests: whole, byte by byte, at every split, in random pieces (the feeding
// and its invariants are in MultipartFeeding.swift, shared with the fuzz target).

/// Parses `input` in pieces of the given sizes (the last piece takes the rest), recording broken invariants.
func driveMultipart(
    _ input: [UInt8],
    boundary: String,
    pieces: [Int],
    limits: FormLimits = .init(),
    sourceLocation: SourceLocation = #_sourceLocation
) -> MultipartOutcome {
    var pieceIndex = 0
    return input.withUnsafeBytes { bytes in
        feedMultipart(
            bytes,
            boundary: boundary,
            limits: limits,
            violation: { Issue.record(Comment(rawValue: $0), sourceLocation: sourceLocation) },
            nextPieceSize: { left in
                defer { pieceIndex += 1 }
                return pieceIndex < pieces.count ? pieces[pieceIndex] : left
            }
        )
    }
}

/// Parses `input` whole, one byte at a time, 2 and 7 bytes at a time, split in two at every position, split in three
/// around every position, and in random pieces; records an issue for every way that differs from the whole.
/// - Returns: The outcome of the whole input.
@discardableResult
func parseMultipartEveryWay(
    _ input: [UInt8],
    boundary: String,
    limits: FormLimits = .init(),
    sourceLocation: SourceLocation = #_sourceLocation
) -> MultipartOutcome {
    let reference = driveMultipart(
        input,
        boundary: boundary,
        pieces: [],
        limits: limits,
        sourceLocation: sourceLocation
    )
    var splits: [(String, [Int])] = [
        ("1-byte", Array(repeating: 1, count: input.count)),
        ("2-byte", Array(repeating: 2, count: input.count)),
        ("7-byte", Array(repeating: 7, count: input.count)),
    ]
    for k in 1..<max(1, input.count) {
        splits.append(("split at \(k)", [k]))
        splits.append(("3 bytes at \(k)", [k, 3]))
    }
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
        let outcome = driveMultipart(
            input,
            boundary: boundary,
            pieces: pieces,
            limits: limits,
            sourceLocation: sourceLocation
        )
        if outcome != reference {
            Issue.record("\(name): \(outcome) != whole: \(reference)", sourceLocation: sourceLocation)
            break
        }
    }
    return reference
}

/// `parseMultipartEveryWay` for a body written as text (`\r\n` explicit).
@discardableResult
func parseMultipartEveryWay(
    _ text: String,
    boundary: String,
    limits: FormLimits = .init(),
    sourceLocation: SourceLocation = #_sourceLocation
) -> MultipartOutcome {
    parseMultipartEveryWay(Array(text.utf8), boundary: boundary, limits: limits, sourceLocation: sourceLocation)
}
