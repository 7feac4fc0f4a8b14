import LitUV

/// The endpoints of the example media models, for `lituv-example` and the tests.
public enum MediaEndpoints {
    /// `POST /predict`: ``ImageStatsAPI``.
    /// - Parameters:
    ///   - limits: The largest image decoded.
    ///   - maxBatchSize: Requests per batch, at most.
    ///   - batchTimeout: The batch window.
    ///   - workersPerDevice: Predict workers.
    /// - Returns: The endpoint.
    public static func imageStats(
        limits: ImageLimits = ImageLimits(),
        maxBatchSize: Int = 1,
        batchTimeout: Duration = .zero,
        workersPerDevice: Int = 1
    ) -> [LitEndpoint] {
        [
            LitEndpoint(
                ImageStatsAPI(limits: limits),
                maxBatchSize: maxBatchSize,
                batchTimeout: batchTimeout,
                workersPerDevice: workersPerDevice
            )
        ]
    }

    /// `POST /predict` (whole WAV unless `"stream": true`) and `POST /predict/stream` (streamed unless
    /// `"stream": false`): ``ToneAPI`` through ``ToneCodec``.
    /// - Parameters:
    ///   - samplesPerChunk: Samples per streamed piece.
    ///   - maxBatchSize: Requests per batch, at most.
    ///   - batchTimeout: The batch window.
    ///   - workersPerDevice: Predict workers per endpoint.
    /// - Returns: The two endpoints.
    public static func tone(
        samplesPerChunk: Int = 4096,
        maxBatchSize: Int = 1,
        batchTimeout: Duration = .zero,
        workersPerDevice: Int = 1
    ) -> [LitEndpoint] {
        [("/predict", false), ("/predict/stream", true)].map { path, streams in
            LitEndpoint(
                streaming: ToneAPI(samplesPerChunk: samplesPerChunk),
                codec: ToneCodec<ToneAPI>(streamsByDefault: streams),
                path: path,
                maxBatchSize: maxBatchSize,
                batchTimeout: batchTimeout,
                workersPerDevice: workersPerDevice
            )
        }
    }
}
