import Synchronization

@testable import LitUV

/// What the fake generative model saw: sequences prefilled and released, the largest batch stepped, and how many
/// outputs each request got so far.
final class GenerationRecorder: Sendable {
    private struct State {
        var active = 0
        var largestActive = 0
        var largestStep = 0
        var steps = 0
        var released: [Int] = []
        var produced: [Int: Int] = [:]
    }
    private let state = Mutex(State())

    fileprivate func prefilled() {
        state.withLock {
            $0.active += 1
            $0.largestActive = max($0.largestActive, $0.active)
        }
    }

    fileprivate func released(_ id: Int) {
        state.withLock {
            $0.active -= 1
            $0.released.append(id)
        }
    }

    fileprivate func stepped(_ ids: [Int]) {
        state.withLock {
            $0.steps += 1
            $0.largestStep = max($0.largestStep, ids.count)
            for id in ids { $0.produced[id, default: 0] += 1 }
        }
    }

    /// `step` calls so far.
    var steps: Int { state.withLock { $0.steps } }
    /// Sequences prefilled and not yet released.
    var active: Int { state.withLock { $0.active } }
    /// The most sequences held at once (prefilled, not released).
    var largestActive: Int { state.withLock { $0.largestActive } }
    /// The most sequences in one `step` call.
    var largestStep: Int { state.withLock { $0.largestStep } }
    /// Ids of the released sequences, in order.
    var released: [Int] { state.withLock { $0.released } }
    /// Steps taken by request `id`.
    func produced(_ id: Int) -> Int { state.withLock { $0.produced[id] ?? 0 } }
}

/// A deterministic fake generative model: request `{"id": 7, "count": 3}` streams `{"token":"r7s1"}`,
/// `{"token":"r7s2"}`, `{"token":"r7s3"}` (one per step), each token padded to `size` bytes when given. `count`
/// -1 never ends. Prefill fails with 409 for `"failPrefill": true`; a step with a sequence whose next token is
/// `failAt` throws.
struct CountingGenerativeAPI: LitGenerativeAPI {
    struct Request: Decodable, Sendable {
        var id: Int
        var count: Int
        var size: Int?
        var failPrefill: Bool?
        var failAt: Int?
    }
    struct State: Sendable {
        var request: Request
        var produced = 0
    }
    struct Token: Encodable {
        var token: String
    }

    let recorder: GenerationRecorder
    var maxActive: Int = 64
    /// Slept once per step.
    var stepDelay: Duration = .zero

    func prefill(_ input: Request) throws -> (state: State, output: String?) {
        if input.failPrefill == true { throw HTTPError(409, "no room for \(input.id)") }
        recorder.prefilled()
        return (State(request: input), nil)
    }

    func step(_ states: inout [State]) throws -> [String?] {
        recorder.stepped(states.map(\.request.id))
        if stepDelay > .zero { sleepPrecisely(stepDelay) }
        var outputs: [String?] = []
        for index in states.indices {
            states[index].produced += 1
            let produced = states[index].produced
            if states[index].request.failAt == produced { throw HTTPError(500, "step exploded") }
            var token = "r\(states[index].request.id)s\(produced)"
            if let size = states[index].request.size, size > token.utf8.count {
                token += String(repeating: "x", count: size - token.utf8.count)
            }
            outputs.append(token)
        }
        return outputs
    }

    func isFinished(_ state: State) -> Bool {
        state.request.count >= 0 && state.produced >= state.request.count
    }

    func release(_ state: State) { recorder.released(state.request.id) }

    func encodeResponse(_ output: String) throws -> Token { Token(token: output) }
}
