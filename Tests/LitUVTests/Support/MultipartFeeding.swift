// Feeds `MultipartParser` a body in pieces and records what it produced, checking the parser's invariants. Compiled
// into two programs: the test target (through `@testable import LitUV`) and the libFuzzer target built by
// `scripts/fuzz multipart`, which compiles this file by path together with the form parser sources into one module.
// So this file uses nothing but the standard library and the form parsers' own types.

#if canImport(LitUV)
@testable import LitUV
#endif

/// One part as compared between splits: everything the parser reports about it.
struct PartRecord: Equatable, CustomStringConvertible {
    var name: String
    var filename: String?
    var contentType: String?
    var headers: [String]  // "name: value"
    var body: [UInt8]

    init(_ part: MultipartPart) {
        name = part.name
        filename = part.filename
        contentType = part.contentType
        headers = part.headers.map { "\($0.name): \($0.value)" }
        body = part.body
    }

    var description: String {
        "part(\(name.debugDescription) file \(filename?.debugDescription ?? "-") type \(contentType ?? "-") "
            + "\(body.count) bytes)"
    }
}

/// What parsing a whole body produced, independent of how it was split into slices.
enum MultipartOutcome: Equatable, CustomStringConvertible {
    case form([PartRecord])
    case error(FormError)

    var description: String {
        switch self {
        case .form(let parts): "form\(parts)"
        case .error(let e): "error(\(e.status) \(e.detail))"
        }
    }

    /// The parts, or `nil` for an error.
    var parts: [PartRecord]? {
        if case .form(let parts) = self { return parts }
        return nil
    }
}

/// Feeds `input` to a fresh parser in pieces whose sizes come from `nextPieceSize` (given the bytes left; clamped to
/// 1...left), then finishes, reporting every broken invariant through `violation`:
/// - an error has status 400 or 413, and is thrown again (the same) by every later `parse` and by `finish`;
/// - the parts' bodies hold no more bytes in total than the input.
func feedMultipart(
    _ input: UnsafeRawBufferPointer,
    boundary: String,
    limits: FormLimits,
    expectedBodyLength: Int? = nil,
    violation: (String) -> Void,
    nextPieceSize: (Int) -> Int
) -> MultipartOutcome {
    var parser: MultipartParser
    do throws(FormError) {
        parser = try MultipartParser(boundary: boundary, limits: limits, expectedBodyLength: expectedBodyLength)
    } catch {
        return .error(error)
    }
    var offset = 0
    var failure: FormError?
    while offset < input.count {
        let size = min(max(1, nextPieceSize(input.count - offset)), input.count - offset)
        do throws(FormError) {
            try parser.parse(UnsafeRawBufferPointer(rebasing: input[offset..<(offset + size)]))
        } catch {
            failure = error
            break
        }
        offset += size
    }
    let outcome: MultipartOutcome
    do throws(FormError) {
        outcome = .form(try parser.finish().parts.map(PartRecord.init))
        if let failure { violation("finish() succeeded after parse threw \(failure)") }
    } catch {
        if let failure, failure != error { violation("finish() threw \(error) after parse threw \(failure)") }
        do throws(FormError) {
            try parser.parse(UnsafeRawBufferPointer(rebasing: input[0..<0]))
            violation("parse() succeeded after \(error)")
        } catch let again {
            if again != error { violation("parse() threw \(again) after \(error)") }
        }
        outcome = .error(error)
    }
    switch outcome {
    case .error(let e):
        if e.status != 400 && e.status != 413 { violation("unexpected status \(e.status)") }
        if e.detail.isEmpty { violation("an error without a detail") }
    case .form(let parts):
        let total = parts.reduce(0) { $0 + $1.body.count }
        if total > input.count { violation("the parts hold \(total) bytes, the input \(input.count)") }
    }
    return outcome
}
