// libFuzzer target for HTTPRequestParser. Built by `scripts/fuzz parser` (or scripts/fuzz-parser) together with the
// parser sources and the feeding code it shares with the parser tests:
//   swiftc -parse-as-library -sanitize=fuzzer,address ... Sources/LitUV/HTTP/*.swift \
//       Tests/LitUVTests/Support/ParserFeeding.swift Fuzz/ParserFuzz/main.swift
// For every input it checks that the parser
//   - never traps (libFuzzer reports a crash; ASan reports out-of-bounds reads),
//   - keeps the invariants `feedParser` checks on every call (`consumed` and every range within the buffer, a
//     non-empty path within the target, a known error status, sticky errors, progress),
//   - gives the same heads, body bytes and final result (including the error) whether the input arrives whole,
//     one byte at a time, or in pseudo-random pieces,
// each with the default limits and with small limits (so the 413/414/431 paths are reached).

func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { violated(message()) }
}

/// A trap is what libFuzzer reports as a crash (and saves the input for).
func violated(_ message: String) -> Never {
    fatalError("ParserFuzz invariant violated: \(message)")
}

/// Feeds `input` in pieces whose sizes come from `nextPieceSize`, trapping on any broken invariant.
func run(_ input: UnsafeRawBufferPointer, limits: HTTPLimits, nextPieceSize: (Int) -> Int) -> [ParserEvent] {
    feedParser(input, limits: limits, violation: { violated($0) }, nextPieceSize: nextPieceSize)
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
