import Foundation

@testable import LitUV

// The async APIs of the async suites, and the probes through which their tasks tell the test what they saw.

/// Counts predictions in flight at once, holds them at a gate until `target` are in flight together (so a server
/// that does not overlap them never answers), and remembers the largest number seen.
final class OverlapGate: Sendable {
    private struct State {
        var current = 0
        var largest = 0
        var open = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Locked(State())
    let target: Int

    init(target: Int) { self.target = target }

    /// The most predictions that were in flight at once.
    var largest: Int { state.withLock { $0.largest } }

    /// A prediction starts: waits until `target` are in flight together (or the gate opened before).
    func enter() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let release: [CheckedContinuation<Void, Never>] = state.withLock { state in
                state.current += 1
                state.largest = max(state.largest, state.current)
                if state.current >= target { state.open = true }
                if state.open {
                    defer { state.waiters.removeAll() }
                    return state.waiters + [continuation]
                }
                state.waiters.append(continuation)
                return []
            }
            for waiter in release { waiter.resume() }
        }
    }

    /// A prediction ends.
    func leave() { state.withLock { $0.current -= 1 } }
}

/// x², each prediction waiting at an ``OverlapGate``.
struct GatedSquareAPI: LitAsyncAPI {
    typealias Request = SquareAPI.Request
    typealias Response = SquareAPI.Response
    let gate: OverlapGate
    func decodeRequest(_ request: Request) -> Double { request.input }
    func predict(_ x: Double) async -> Double {
        await gate.enter()
        defer { gate.leave() }
        return x * x
    }
    func encodeResponse(_ y: Double) -> Response { Response(output: y) }
}

/// What a task saw, reported to a waiting test thread: events in order, and a semaphore per awaited event.
final class TaskProbe: Sendable {
    private let events = Locked<[String]>([])
    private let signal = DispatchSemaphore(value: 0)

    func note(_ event: String) {
        events.withLock { $0.append(event) }
        signal.signal()
    }

    var seen: [String] { events.withLock { $0 } }

    /// Waits until `event` was noted (at most `limit`, a guard against a hang, not a timing assertion).
    func wait(for event: String, limit: Duration = .seconds(20)) -> Bool {
        let deadline = ContinuousClock.now + limit
        while !seen.contains(event) {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return false }
            _ = signal.wait(timeout: .now() + .milliseconds(Int(left.components.seconds * 1000) + 1))
        }
        return true
    }
}

/// Errors and cancellation on the async path, by input: -1 waits until its task is cancelled (noting what it
/// observed) and then returns a late answer anyway; 1 throws ``HTTPError`` 418; 2 throws a plain error; others x².
struct CancellableSquareAPI: LitAsyncAPI {
    typealias Request = SquareAPI.Request
    typealias Response = SquareAPI.Response
    struct Internal: Error {}
    let probe: TaskProbe

    func decodeRequest(_ request: Request) throws -> Double {
        guard request.input != 3 else { throw HTTPError(422, "three is not allowed") }
        return request.input
    }

    func predict(_ x: Double, context: RequestContext) async throws -> Double {
        switch x {
        case -1:
            await withTaskCancellationHandler {
                probe.note("started")
                await untilCancelled()
            } onCancel: {
                probe.note("cancellation handler")
            }
            probe.note(Task.isCancelled ? "cancelled" : "not cancelled")
            probe.note(context.isClientConnected ? "client connected" : "client gone")
            defer { probe.note("returned") }
            return 1234
        case 1: throw HTTPError(418, "I'm a teapot")
        case 2: throw Internal()
        default: return x * x
        }
    }

    func encodeResponse(_ y: Double) -> Response { Response(output: y) }
}

/// x² on whole batches (`predict(batch:)`), recording each batch's size.
struct AsyncBatchSquareAPI: LitAsyncAPI {
    typealias Request = SquareAPI.Request
    typealias Response = SquareAPI.Response
    let sizes: Locked<[Int]>

    func decodeRequest(_ request: Request) -> Double { request.input }
    func predict(batch inputs: [Double]) async throws -> [Double] {
        sizes.withLock { $0.append(inputs.count) }
        await Task.yield()
        return inputs.map { $0 * $0 }
    }
    func encodeResponse(_ y: Double) -> Response { Response(output: y) }
}

/// x² answered by the default `predict(batch:)` of ``LitAsyncAPI`` (each input in its own child task), counting how
/// many ran at once through an ``OverlapGate``.
struct AsyncEachSquareAPI: LitAsyncAPI {
    typealias Request = SquareAPI.Request
    typealias Response = SquareAPI.Response
    let gate: OverlapGate
    func decodeRequest(_ request: Request) -> Double { request.input }
    func predict(_ x: Double, context: RequestContext) async -> Double {
        await gate.enter()
        defer { gate.leave() }
        return x * x
    }
    func encodeResponse(_ y: Double) -> Response { Response(output: y) }
}

/// Streams `count` tokens `"t0"`, `"t1"`, ... (or tokens of `size` bytes) for `{"count": n, "size": s}`, counting
/// each one produced; a count of -1 streams one token and then waits until cancelled; -2 streams one token and then
/// throws ``HTTPError`` 503; -3 throws before any token.
struct AsyncTokensAPI: LitAsyncStreamingAPI {
    struct Request: Decodable, Sendable {
        var count: Int
        var size: Int?
    }
    struct Response: Encodable { var token: String }
    let probe: TaskProbe
    let produced: Counter

    init(probe: TaskProbe = TaskProbe(), produced: Counter = Counter()) {
        self.probe = probe
        self.produced = produced
    }

    func decodeRequest(_ request: Request, context: RequestContext) -> Request { request }

    func predict(_ request: Request) async throws -> Tokens {
        if request.count == -3 { throw HTTPError(409, "no tokens for you") }
        return Tokens(count: request.count, size: request.size, probe: probe, produced: produced)
    }

    func encodeResponse(_ token: String) -> Response { Response(token: token) }

    /// The tokens of one request, made one by one as the server asks for them (so flow control holds the model).
    struct Tokens: AsyncSequence {
        let count: Int
        let size: Int?
        let probe: TaskProbe
        let produced: Counter

        struct AsyncIterator: AsyncIteratorProtocol {
            let tokens: Tokens
            var index = 0

            mutating func next() async throws -> String? {
                defer { index += 1 }
                switch tokens.count {
                case -1:
                    guard index == 0 else {
                        tokens.probe.note("started")
                        await untilCancelled()
                        tokens.probe.note(Task.isCancelled ? "cancelled" : "not cancelled")
                        return nil
                    }
                    return "first"
                case -2:
                    guard index == 0 else { throw HTTPError(503, "generator went away") }
                    return "first"
                default:
                    guard index < tokens.count else { return nil }
                    tokens.produced.increment()
                    if let size = tokens.size { return String(repeating: "x", count: size) }
                    return "t\(index)"
                }
            }
        }

        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(tokens: self) }
    }
}

/// Suspends until the current task is cancelled (no timer: nothing but the cancellation resumes it).
func untilCancelled() async {
    let continuation = Locked<CheckedContinuation<Void, Never>?>(nil)
    let cancelled = Locked(false)
    await withTaskCancellationHandler {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let resumeNow = cancelled.withLock { isCancelled in
                if !isCancelled { continuation.withLock { $0 = waiter } }
                return isCancelled
            }
            if resumeNow { waiter.resume() }
        }
    } onCancel: {
        let waiter = cancelled.withLock { isCancelled in
            isCancelled = true
            return continuation.withLock { stored in
                defer { stored = nil }
                return stored
            }
        }
        waiter?.resume()
    }
}
