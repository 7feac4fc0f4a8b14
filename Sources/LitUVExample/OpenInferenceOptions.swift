import ArgumentParser
import LitUV
import LitUVOpenInference

/// `--open-inference`: also serve the model with the Open Inference Protocol (KServe v2).
struct OpenInferenceOptions: ParsableArguments {
    @Flag(
        name: .customLong("open-inference"),
        help: """
            Also serve the model with the Open Inference Protocol (KServe v2 REST): for square, model 'square' \
            (input 'input' FP32 [N], output 'output' FP32 [N], each value squared) on /v2/models/square/infer.
            """
    )
    var isEnabled = false

    /// Checks the flag fits the chosen model.
    func validate(model: String, runsInline: Bool) throws {
        guard isEnabled else { return }
        guard model == "square" else { throw ValidationError("--open-inference serves --model square only") }
        guard !runsInline else { throw ValidationError("--open-inference needs workers (not --inline)") }
    }

    /// The protocol's endpoint for the square model, with the server's batching and workers.
    func endpoints(maxBatchSize: Int, batchTimeout: Duration, workersPerDevice: Int) -> [LitEndpoint] {
        guard isEnabled else { return [] }
        return [
            .openInference(
                SquareTensorModel(),
                name: "square",
                maxBatchSize: maxBatchSize,
                batchTimeout: batchTimeout,
                workersPerDevice: workersPerDevice
            )
        ]
    }

    /// The curl line printed at start.
    var example: String? {
        guard isEnabled else { return nil }
        return #"curl URL/v2/models/square/infer -d '{"inputs": [{"name": "input", "shape": [3], "#
            + #""datatype": "FP32", "data": [1, 2, 3]}]}'"#
    }
}

/// x² over a tensor: input `input` (FP32, `[N]`), output `output` (FP32, `[N]`). Requests batched together are
/// concatenated into one call (the first dimension is the batch dimension).
struct SquareTensorModel: LitInferenceModel {
    var inputs: [TensorMetadata] { [TensorMetadata(name: "input", datatype: .fp32, shape: [-1])] }
    var outputs: [TensorMetadata] { [TensorMetadata(name: "output", datatype: .fp32, shape: [-1])] }
    var batchesAlongFirstDimension: Bool { true }

    func predict(_ inputs: [Tensor]) throws -> [Tensor] {
        guard let input = inputs.first, let values = input.fp32 else {
            throw InferenceError.invalidRequest("expected one FP32 input")
        }
        return [Tensor(name: "output", shape: input.shape, data: .fp32(values.map { $0 * $0 }))]
    }
}
