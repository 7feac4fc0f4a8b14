// libFuzzer target for MultipartParser. Built by `scripts/fuzz multipart` together with the form parser sources and
// the feeding code it shares with the multipart tests:
//   swiftc -parse-as-library -sanitize=fuzzer,address ... Sources/LitUV/HTTP/{Form*,MediaType,Multipart*}.swift \
//       Tests/LitUVTests/Support/MultipartFeeding.swift Fuzz/MultipartFuzz/main.swift
// The first byte of an input chooses the boundary (its low two bits) and the limits (bit 2: small limits, so that
// every 413 is reached); the rest is the body. For every input it checks that the parser
//   - never traps (libFuzzer reports a crash; ASan reports out-of-bounds reads),
//   - keeps the invariants `feedMultipart` checks (a 400 or 413 with a detail, thrown again by every later call;
//     the parts' bodies never hold more bytes than the input),
//   - gives the same parts (names, filenames, content types, headers, bytes) or the same error whether the body
//     arrives whole, one byte at a time, or in pseudo-random pieces (the last with `expectedBodyLength` set to the
//     body's length give or take 16 bytes, chosen by the first byte's high bits).

func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { violated(message()) }
}

/// A trap is what libFuzzer reports as a crash (and saves the input for).
func violated(_ message: String) -> Never {
    fatalError("MultipartFuzz invariant violated: \(message)")
}

let boundaries = ["XbOuNdArY", "------------------------e2e17efbee1306ed", "a", "07859fd1f9729f6dd6d429501798a93e"]
let smallLimits = FormLimits(
    maxParts: 3,
    maxPartBytes: 40,
    maxPartHeaderBytes: 100,
    maxTotalBytes: 400,
    maxFieldBytes: 20
)

func run(
    _ body: UnsafeRawBufferPointer,
    boundary: String,
    limits: FormLimits,
    expectedBodyLength: Int? = nil,
    nextPieceSize: (Int) -> Int
) -> MultipartOutcome {
    feedMultipart(
        body,
        boundary: boundary,
        limits: limits,
        expectedBodyLength: expectedBodyLength,
        violation: { violated($0) },
        nextPieceSize: nextPieceSize
    )
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let selector = data[0]
    let boundary = boundaries[Int(selector & 3)]
    let limits = selector & 4 == 0 ? FormLimits() : smallLimits
    let body = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    let whole = run(body, boundary: boundary, limits: limits) { $0 }
    let bytewise = run(body, boundary: boundary, limits: limits) { _ in 1 }
    check(bytewise == whole, "one byte at a time: \(bytewise) != whole: \(whole)")
    var seed = UInt64(size) &* 0x9E37_79B9_7F4A_7C15
    // In pieces, with the body's length as the allocation hint (exact, or off by some bytes either way).
    let hint = body.count + Int(selector >> 3) - 16
    let pieces = run(body, boundary: boundary, limits: limits, expectedBodyLength: hint) { _ in
        seed ^= seed << 13
        seed ^= seed >> 7
        seed ^= seed << 17
        return Int(seed % 16) + 1
    }
    check(pieces == whole, "in pieces: \(pieces) != whole: \(whole)")
    return 0
}
