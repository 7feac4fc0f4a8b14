import LitUV

#if canImport(Glibc)
import Glibc
#endif

/// LitServe's example: x². `{"input": 4.0}` → `{"output":16.0}`.
public struct SquareAPI: LitAPI {
    /// `{"input": <number>}`
    public struct Request: Decodable, Sendable {
        public var input: Double
    }
    /// `{"output": <number>}`
    public struct Response: Encodable {
        public var output: Double
    }

    public init() {}
    public func decodeRequest(_ request: Request) throws -> Double { request.input }
    public func predict(_ x: Double) throws -> Double { x * x }
    public func encodeResponse(_ y: Double) throws -> Response { Response(output: y) }
}

/// x² like ``SquareAPI``, but every batch costs a fixed delay, whatever its size — to see batching and timeouts.
public struct SleepAPI: LitAPI {
    public typealias Request = SquareAPI.Request
    public typealias Response = SquareAPI.Response
    /// The cost of one batch.
    public var delay: Duration

    /// - Parameter delay: How long each `predict(batch:)` sleeps.
    public init(delay: Duration) { self.delay = delay }
    public func decodeRequest(_ request: Request) throws -> Double { request.input }
    public func predict(_ x: Double) throws -> Double { x * x }
    public func predict(batch inputs: [Double]) throws -> [Double] {
        let (seconds, attoseconds) = delay.components
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR {
            request = remaining
        }
        return inputs.map { $0 * $0 }
    }
    public func encodeResponse(_ y: Double) throws -> Response { Response(output: y) }
}
