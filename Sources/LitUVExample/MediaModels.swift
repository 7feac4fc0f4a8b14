import ArgumentParser
import ExampleModels
import LitUV

/// Options of the media example models: `--model image-stats` and `--model tone`.
struct MediaOptions: ParsableArguments {
    @Option(
        help: """
            For --model image-stats: the largest image decoded, in megapixels (2^20 pixels); a larger one is \
            answered 413 before its pixels are decoded.
            """
    )
    var maxImageMegapixels = Double(ImageLimits.defaultMaxPixels) / 1_048_576

    @Option(help: "For --model tone: samples per streamed WAV chunk (the sample rate is 22050 Hz).")
    var toneChunkSamples = 4096

    func validate() throws {
        guard maxImageMegapixels > 0, maxImageMegapixels <= 1_048_576 else {
            throw ValidationError("--max-image-megapixels must be above 0 and at most 1048576")
        }
        guard toneChunkSamples >= 1 else { throw ValidationError("--tone-chunk-samples must be at least 1") }
    }

    /// The largest `width × height` accepted (at least one pixel).
    var imageLimits: ImageLimits {
        ImageLimits(maxPixels: max(1, Int(maxImageMegapixels * 1_048_576)))
    }
}

extension Example {
    /// The endpoints and example commands of `--model image-stats` and `--model tone`.
    /// - Parameter batchTimeout: The batch window.
    /// - Returns: The endpoints to serve and the example commands to print (`URL` is replaced by the server's).
    func mediaEndpoints(batchTimeout: Duration) -> (endpoints: [LitEndpoint], examples: [String]) {
        switch model {
        case .tone:
            let endpoints = MediaEndpoints.tone(
                samplesPerChunk: media.toneChunkSamples,
                maxBatchSize: maxBatchSize,
                batchTimeout: batchTimeout,
                workersPerDevice: threads.workers
            )
            return (
                endpoints,
                [
                    #"curl -X POST URL/predict -d '{"frequency": 440, "duration": 2}' -o tone.wav"#,
                    #"curl -N -X POST URL/predict/stream -d '{"frequency": 440, "duration": 2}' -o tone.wav"#,
                ]
            )
        default:
            let endpoints = MediaEndpoints.imageStats(
                limits: media.imageLimits,
                maxBatchSize: maxBatchSize,
                batchTimeout: batchTimeout,
                workersPerDevice: threads.workers
            )
            return (endpoints, ["curl -F file=@image.png URL/predict  (PNG or binary/plain PPM, PGM)"])
        }
    }
}
