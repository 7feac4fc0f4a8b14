import LitUV

/// x² like ``SleepAPI``, but every batch *awaits* its delay (`Task.sleep`) instead of blocking its worker: one
/// worker keeps many requests in flight (`lituv-example --model sleep --async`). It stands for a model that waits on
/// another service. It stops early when its request is cancelled (the client left or the deadline passed):
/// `Task.sleep` throws `CancellationError`.
public struct AsyncSleepAPI: LitAsyncAPI {
    public typealias Request = SquareAPI.Request
    public typealias Response = SquareAPI.Response
    /// The wait of one batch.
    public var delay: Duration

    /// - Parameter delay: How long each `predict(batch:)` awaits.
    public init(delay: Duration) { self.delay = delay }
    public func decodeRequest(_ request: Request) -> Double { request.input }
    public func predict(batch inputs: [Double]) async throws -> [Double] {
        try await Task.sleep(for: delay)
        return inputs.map { $0 * $0 }
    }
    public func encodeResponse(_ y: Double) -> Response { Response(output: y) }
}
