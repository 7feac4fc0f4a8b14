import Foundation
import Synchronization

@testable import LitUV

#if canImport(Glibc)
import Glibc
#endif

// The APIs the suites serve: x² with counting, sleeping and failing variants, token streams, and a string doubler.

// MARK: - Hook counts

/// Counts hook calls across every worker copy of an API.
final class HookCounter: Sendable {
    let predictedInputs = Atomic<Int>(0)
    let batches = Atomic<Int>(0)
    let setups = Atomic<Int>(0)
    let teardowns = Atomic<Int>(0)
    let largestBatch = Atomic<Int>(0)

    /// Raises `largestBatch` to `size` if it is smaller.
    func noteBatch(size: Int) {
        var largest = largestBatch.load(ordering: .relaxed)
        while size > largest {
            let (done, now) = largestBatch.compareExchange(expected: largest, desired: size, ordering: .relaxed)
            if done { break }
            largest = now
        }
    }
}

// MARK: - x²

/// x², LitServe's example.
struct SquareAPI: LitAPI {
    struct Request: Decodable, Sendable { var input: Double }
    struct Response: Encodable { var output: Double }
    func decodeRequest(_ request: Request) throws -> Double { request.input }
    func predict(_ x: Double) throws -> Double { x * x }
    func encodeResponse(_ y: Double) throws -> Response { Response(output: y) }
}

/// x² one request at a time (`predict(_:)`): counts every call in `calls` (shared across worker copies), then sleeps
/// `delay(x)`.
struct PerRequestSquareAPI: LitAPI {
    typealias Request = SquareAPI.Request
    typealias Response = SquareAPI.Response
    var calls: Counter?
    var delay: @Sendable (Double) -> Duration

    /// Sleeps the same `delay` for every request.
    init(calls: Counter? = nil, delay: Duration = .zero) {
        self.calls = calls
        self.delay = { _ in delay }
    }

    /// Sleeps `delay(x)` for input `x`.
    init(calls: Counter? = nil, delay: @escaping @Sendable (Double) -> Duration) {
        self.calls = calls
        self.delay = delay
    }

    /// x² after sleeping `(10 - x) × 20 ms`, so that later (larger) inputs finish first.
    static var reverseDelay: Self {
        Self(delay: { x in .milliseconds(Int(max(0, 10 - x)) * 20) })
    }

    func decodeRequest(_ request: Request) throws -> Double { request.input }
    func predict(_ x: Double) throws -> Double {
        calls?.increment()
        let pause = delay(x)
        if pause > .zero { sleepPrecisely(pause) }
        return x * x
    }
    func encodeResponse(_ y: Double) throws -> Response { Response(output: y) }
}

/// x² a batch at a time (`predict(batch:)`), sleeping `delay` once per batch and counting what reaches the hooks in
/// `counter`; rejects negative inputs with 422; optional failure modes.
struct CountingAPI: LitAPI {
    typealias Request = SquareAPI.Request
    typealias Response = SquareAPI.Response
    enum Failure: Sendable { case none, mismatch, httpError, setup, unhealthy, internalError }
    let counter: HookCounter
    var delay: Duration
    var failure: Failure

    init(counter: HookCounter = HookCounter(), delay: Duration = .zero, failure: Failure = .none) {
        self.counter = counter
        self.delay = delay
        self.failure = failure
    }

    mutating func setup(device: Device) throws {
        counter.setups.add(1, ordering: .relaxed)
        if failure == .setup { throw HTTPError(500, "weights not found") }
    }
    func decodeRequest(_ request: Request) throws -> Double {
        if request.input < 0 { throw HTTPError(422, "input must not be negative") }
        return request.input
    }
    func predict(_ x: Double) throws -> Double { x * x }
    func predict(batch inputs: [Double]) throws -> [Double] {
        counter.batches.add(1, ordering: .relaxed)
        counter.predictedInputs.add(inputs.count, ordering: .relaxed)
        counter.noteBatch(size: inputs.count)
        if delay > .zero { sleepPrecisely(delay) }
        switch failure {
        case .mismatch: return inputs.dropLast().map { $0 * $0 }
        case .httpError: throw HTTPError(418, "teapot batch")
        case .internalError: throw CancellationError()
        default: return inputs.map { $0 * $0 }
        }
    }
    func encodeResponse(_ y: Double) throws -> Response { Response(output: y) }
    func health() -> Bool { failure != .unhealthy }
    mutating func teardown() { counter.teardowns.add(1, ordering: .relaxed) }
}

/// The name of the calling thread (`lituv-io0`, `lituv-w0`, ...).
func currentThreadName() -> String {
    let comm = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
    return comm.trimmingCharacters(in: .whitespacesAndNewlines)
}

/// Records where and how often its hooks ran; x² otherwise. Fails on demand.
struct RecordingSquareAPI: LitAPI {
    typealias Request = SquareAPI.Request
    typealias Response = SquareAPI.Response

    /// What the hooks saw, shared by every copy.
    final class Record: Sendable {
        let setups = Locked<[(thread: String, device: Device)]>([])
        let predictThreads = Locked<Set<String>>([])
        let teardowns = Locked(0)
    }

    let record: Record
    var failSetup = false
    var predictDelay: Duration = .zero
    private var isSetUp = false

    init(record: Record, failSetup: Bool = false, predictDelay: Duration = .zero) {
        self.record = record
        self.failSetup = failSetup
        self.predictDelay = predictDelay
    }

    mutating func setup(device: Device) throws {
        if failSetup { throw HTTPError(500, "no weights") }
        record.setups.withLock { $0.append((currentThreadName(), device)) }
        isSetUp = true
    }

    func decodeRequest(_ request: Request) throws -> Double {
        guard request.input.isFinite else { throw HTTPError(422, "input must be finite") }
        return request.input
    }

    func predict(_ x: Double) throws -> Double {
        guard isSetUp else { throw HTTPError(500, "predict before setup") }
        record.predictThreads.withLock { _ = $0.insert(currentThreadName()) }
        if predictDelay > .zero { sleepPrecisely(predictDelay) }
        if x < 0 { throw HTTPError(409, "negative input") }
        return x * x
    }

    func encodeResponse(_ y: Double) throws -> Response { Response(output: y) }

    mutating func teardown() {
        record.teardowns.withLock { $0 += 1 }
    }
}

// MARK: - Streams

/// Emits `count` tokens `{"token":"t<i>","index":i}` for input `{"count": n}`, optionally failing or sleeping.
struct TokenStreamAPI: LitStreamingAPI {
    struct Request: Decodable, Sendable {
        var count: Int
        var size: Int?
    }
    struct Token: Encodable {
        var token: String
        var index: Int
    }
    let counter: HookCounter
    var failAfter: Int? = nil
    var failBeforeFirst = false
    var delayAfterFirst: Duration = .zero

    func decodeRequest(_ request: Request, context: RequestContext) throws -> Request {
        if request.count < 0 { throw HTTPError(422, "count must not be negative") }
        return request
    }

    func predict(_ input: Request, emit: (Token) throws -> Void) throws {
        if failBeforeFirst { throw HTTPError(409, "no tokens for you") }
        let padding = String(repeating: "x", count: input.size ?? 0)
        for index in 0..<input.count {
            if let failAfter, index == failAfter { throw HTTPError(500, "model exploded") }
            try emit(Token(token: "t\(index)" + padding, index: index))
            counter.predictedInputs.add(1, ordering: .relaxed)
            if index == 0 && delayAfterFirst > .zero { sleepPrecisely(delayAfterFirst) }
        }
    }
}

/// A batch-aware stream: every step emits one token to every request of the batch.
struct StepwiseStreamAPI: LitStreamingAPI {
    typealias Request = TokenStreamAPI.Request
    typealias Input = Request
    typealias Output = TokenStreamAPI.Token
    typealias Response = TokenStreamAPI.Token
    let counter: HookCounter

    func predict(_ input: Request, emit: (Output) throws -> Void) throws {
        try predict(batch: [input]) { _, output in try emit(output) }
    }

    func predict(batch inputs: [Request], emit: (Int, Output) throws -> Void) throws {
        counter.noteBatch(size: inputs.count)
        let steps = inputs.map(\.count).max() ?? 0
        for step in 0..<steps {
            for (index, input) in inputs.enumerated() where step < input.count {
                try emit(index, Output(token: "r\(input.count)s\(step)", index: step))
            }
        }
    }
}

// MARK: - Strings

/// Returns its input twice: large responses for large requests.
struct DoublingAPI: LitAPI {
    struct Request: Decodable, Sendable { var input: String }
    struct Response: Encodable { var output: String }
    func decodeRequest(_ request: Request) throws -> String { request.input }
    func predict(_ x: String) throws -> String { x + x }
    func encodeResponse(_ y: String) throws -> Response { Response(output: y) }
}
