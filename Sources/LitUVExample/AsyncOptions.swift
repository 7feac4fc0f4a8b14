import ArgumentParser
import ExampleModels
import LitUV

/// The async flags of `lituv-example`: serve the sleep model through ``LitAsyncAPI`` (awaiting its delay).
struct AsyncOptions: ParsableArguments {
    @Flag(
        name: .customLong("async"),
        help: """
            For --model sleep: await the delay (Task.sleep) in an async predict instead of blocking the worker, so \
            one worker keeps up to --max-concurrent-predictions batches in flight.
            """
    )
    var isAsync = false

    @Option(help: "For --async: the most batches each worker keeps in flight.")
    var maxConcurrentPredictions = LitEndpoint.defaultMaxConcurrentPredictions

    func validate() throws {
        guard maxConcurrentPredictions >= 1 else {
            throw ValidationError("--max-concurrent-predictions must be at least 1")
        }
    }

    /// The async sleep endpoint.
    func sleepEndpoint(delay: Duration, maxBatchSize: Int, batchTimeout: Duration, workers: Int) -> LitEndpoint {
        LitEndpoint(
            AsyncSleepAPI(delay: delay),
            maxBatchSize: maxBatchSize,
            batchTimeout: batchTimeout,
            workersPerDevice: workers,
            maxConcurrentPredictions: maxConcurrentPredictions
        )
    }
}
