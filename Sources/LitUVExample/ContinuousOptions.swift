import ArgumentParser
import ExampleModels
import LitUV
import LitUVOpenAI

/// The continuous-batching flags of `lituv-example` (tiny-lm): `--continuous`, `--step-delay-ms`, `--max-active`.
/// Their names are fixed: benchmark scripts depend on them.
struct ContinuousOptions: ParsableArguments {
    @Flag(
        help: """
            For --model tiny-lm: continuous batching. Requests join the running batch at the next step and leave \
            when done (/predict NDJSON and /v1/chat/completions through one step loop each).
            """
    )
    var continuous = false

    @Option(help: "For --continuous: milliseconds each step costs, whatever the batch size (a GPU forward pass).")
    var stepDelayMs = 0.0

    @Option(help: "For --continuous: the most sequences stepped together (1: one request at a time).")
    var maxActive = 64

    func validate() throws {
        guard stepDelayMs >= 0 else { throw ValidationError("--step-delay-ms must not be negative") }
        guard maxActive >= 1 else { throw ValidationError("--max-active must be at least 1") }
    }

    /// Without `--continuous`, `--step-delay-ms` gives tiny-lm's `/predict` the same step cost in static batches
    /// (the baseline of the continuous figures); nil when the flag is not used.
    func staticTinyLMEndpoint(maxBatchSize: Int, batchTimeout: Duration, workers: Int) -> LitEndpoint? {
        guard !continuous, stepDelayMs > 0 else { return nil }
        return LitEndpoint(
            TinyLMStaticBatchAPI(stepDelay: .microseconds(Int64(stepDelayMs * 1000))),
            maxBatchSize: maxBatchSize,
            batchTimeout: batchTimeout,
            workersPerDevice: workers
        )
    }

    /// tiny-lm's endpoints on the step loop.
    func tinyLMEndpoints() -> [LitEndpoint] {
        let stepDelay = Duration.microseconds(Int64(stepDelayMs * 1000))
        return [
            LitEndpoint(generative: TinyLMContinuousAPI(maxActive: maxActive, stepDelay: stepDelay)),
            .openAIChat(
                generative: TinyLMContinuousChatAPI(maxActive: maxActive, stepDelay: stepDelay),
                model: "tiny-lm"
            ),
        ]
    }
}
