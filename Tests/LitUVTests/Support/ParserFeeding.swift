// Feeds `HTTPRequestParser` the way a connection does (the unconsumed bytes are presented again, followed by the next
// piece) and records what it produced, checking the parser's invariants on every call. Compiled into two programs:
// the test target (through `@testable import LitUV`) and the libFuzzer target built by scripts/fuzz-parser, which
// compiles this file by path together with the three parser sources into one module. So this file uses nothing but
// the standard library and the parser's own types: no testing framework and no other LitUV names.

#if canImport(LitUV)
@_spi(Benchmarks) @testable import LitUV
#endif

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

/// `head` with every range moved `d` bytes on.
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

/// The statuses a parse error may carry.
private let parseErrorStatuses: Set<Int> = [400, 413, 414, 431, 501, 505]

/// Feeds `input` to a fresh parser in pieces, following the parser's contract: the unconsumed bytes are presented
/// again, followed by the next piece, until the input runs out or the parser reports an error.
///
/// Checks on every call that the parser makes progress, never reports `consumed` larger than the buffer nor a head or
/// body range outside it, gives every head a non-empty path within its target, answers errors with a 4xx/5xx status
/// it may use, and keeps returning the same error once it has returned one.
///
/// - Parameters:
///   - input: The whole input.
///   - limits: The parser's limits.
///   - violation: Called with a description of every broken invariant; the feeding goes on if it returns.
///   - nextPieceSize: The size of the next piece, given how many bytes were fed before it (sizes below 1 count as 1;
///     the last piece is cut to what is left).
/// - Returns: The events, body slices merged, with `.incomplete` last when the input ended inside a request.
func feedParser(
    _ input: UnsafeRawBufferPointer,
    limits: HTTPLimits,
    violation: (String) -> Void,
    nextPieceSize: (Int) -> Int
) -> [ParserEvent] {
    var parser = HTTPRequestParser(limits: limits)
    var events: [ParserEvent] = []
    var start = 0  // first unconsumed byte
    var fed = 0  // bytes made available so far
    var calls = 0
    while fed < input.count {
        fed += min(input.count - fed, max(1, nextPieceSize(fed)))
        reading: while true {
            calls += 1
            if calls > 4 * input.count + 100 {
                violation("parser does not make progress")
                return events
            }
            let buffer = UnsafeRawBufferPointer(rebasing: input[start..<fed])
            let count = buffer.count
            let result = parser.parse(buffer)
            func consume(_ n: Int) {
                if n < 0 || n > count { violation("consumed \(n) of \(count)") }
                start += max(0, min(n, count))
            }
            switch result {
            case .needMore(let consumed):
                consume(consumed)
                break reading
            case .head(let head, let consumed):
                if consumed != head.length || consumed <= 0 {
                    violation("head length \(head.length), consumed \(consumed)")
                }
                if head.target.upperBound > count { violation("target \(head.target) beyond \(count) bytes") }
                // The path is never empty and lies within the target (absolute-form targets route on their path).
                if head.path.isEmpty || head.path.lowerBound < head.target.lowerBound
                    || head.path.upperBound > head.target.upperBound
                {
                    violation("path \(head.path), target \(head.target)")
                }
                for field in head.headers where field.name.lowerBound < 0 || field.value.upperBound > consumed {
                    violation("field \(field.name): \(field.value) outside the \(consumed)-byte head")
                }
                events.append(.head(shifted(head, by: start)))
                consume(consumed)
            case .body(let range, let consumed):
                if range.isEmpty || range.lowerBound < 0 || range.upperBound > consumed {
                    violation("body range \(range), consumed \(consumed)")
                }
                let slice = Array(buffer[range.clamped(to: 0..<count)])
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
                if !parseErrorStatuses.contains(error.status) { violation("error status \(error.status)") }
                // Errors are sticky.
                let again = parser.parse(buffer)
                if again != .error(error) { violation("error not sticky: \(error), then \(again)") }
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
