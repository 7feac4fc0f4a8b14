import LitUV

#if canImport(Glibc)
import Glibc
#endif

/// LitServe's example: x². `{"input": 4.0}` → `{"output":16.0}`.
struct SquareAPI: LitAPI {
    struct Request: Decodable, Sendable {
        var input: Double
    }
    struct Response: Encodable {
        var output: Double
    }

    func decodeRequest(_ request: Request) throws -> Double { request.input }
    func predict(_ x: Double) throws -> Double { x * x }
    func encodeResponse(_ y: Double) throws -> Response { Response(output: y) }
}

/// x² like ``SquareAPI``, but every batch costs a fixed delay, whatever its size — to see batching and timeouts.
struct SleepAPI: LitAPI {
    typealias Request = SquareAPI.Request
    typealias Response = SquareAPI.Response
    var delay: Duration

    func decodeRequest(_ request: Request) throws -> Double { request.input }
    func predict(_ x: Double) throws -> Double { x * x }
    func predict(batch inputs: [Double]) throws -> [Double] {
        let (seconds, attoseconds) = delay.components
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR {
            request = remaining
        }
        return inputs.map { $0 * $0 }
    }
    func encodeResponse(_ y: Double) throws -> Response { Response(output: y) }
}
