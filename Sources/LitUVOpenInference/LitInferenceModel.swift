import LitUV

/// A model served with the Open Inference Protocol (KServe v2): it declares its input and output tensors and
/// maps input tensors to output tensors.
///
/// ```swift
/// struct Square: LitInferenceModel {
///     var inputs: [TensorMetadata] { [TensorMetadata(name: "input", datatype: .fp32, shape: [-1])] }
///     var outputs: [TensorMetadata] { [TensorMetadata(name: "output", datatype: .fp32, shape: [-1])] }
///     var batchesAlongFirstDimension: Bool { true }
///     func predict(_ inputs: [Tensor]) throws -> [Tensor] {
///         let x = inputs[0].fp32 ?? []
///         return [Tensor(name: "output", shape: inputs[0].shape, data: .fp32(x.map { $0 * $0 }))]
///     }
/// }
/// let server = try LitServer(endpoints: [.openInference(Square(), name: "square", maxBatchSize: 16)])
/// ```
///
/// Every request is checked against ``inputs`` before it reaches the model: each declared input present once,
/// of its datatype, of a shape that fits the declaration (-1 matches any size), with as many elements as its
/// shape holds. ``predict(_:)`` gets one tensor per declared input, in declaration order.
///
/// **Batching across requests.** With `maxBatchSize` > 1 on the endpoint, the requests a worker takes together are
/// grouped: when ``batchesAlongFirstDimension`` is true, requests whose inputs agree on every dimension but the
/// first (and whose inputs share that first size) are concatenated along the first dimension into one
/// ``predict(_:)`` call, and each output is split back by rows. Override ``predict(batch:)`` to batch another way.
public protocol LitInferenceModel: Sendable {
    /// The input tensors a request must send (name, datatype, shape with -1 for a variable dimension).
    var inputs: [TensorMetadata] { get }
    /// The output tensors the model produces.
    var outputs: [TensorMetadata] { get }
    /// The `platform` shown in the model metadata. Default `lituv`.
    var platform: String { get }
    /// Whether the first dimension of every input and output is a batch dimension: rows of several requests may be
    /// concatenated into one call and the outputs split back by rows. Default false (one call per request).
    var batchesAlongFirstDimension: Bool { get }

    /// Prepares this worker's copy (load weights here). Called once per worker, on that worker's thread.
    mutating func setup(device: Device) throws
    /// Checks a valid request before it is queued for a batch (its `parameters`, the caller's headers). The default
    /// accepts every request that fits the declared inputs.
    /// - Throws: ``InferenceError`` or `HTTPError` to refuse it (answered `{"error": ...}`).
    func validate(_ request: InferenceRequest, context: RequestContext) throws
    /// Runs the model on one set of inputs (one request's, or several requests' concatenated along the first
    /// dimension).
    /// - Parameter inputs: One tensor per declared input, in declaration order.
    /// - Returns: The output tensors (each named after a declared output).
    func predict(_ inputs: [Tensor]) throws -> [Tensor]
    /// Runs the model on the inputs of several requests whose shapes allow one call (see the type's discussion).
    /// The default concatenates them along the first dimension when ``batchesAlongFirstDimension`` (else calls
    /// ``predict(_:)`` for each) and splits the outputs back.
    /// - Parameter batch: Each request's inputs.
    /// - Returns: Each request's outputs, in order.
    func predict(batch: [[Tensor]]) throws -> [[Tensor]]
    /// Whether this worker's copy can serve (`/v2/health/ready` and `/v2/models/{name}/ready` follow it).
    func health() -> Bool
    /// Releases what ``setup(device:)`` acquired.
    mutating func teardown()
}

extension LitInferenceModel {
    public var platform: String { "lituv" }
    public var batchesAlongFirstDimension: Bool { false }
    public mutating func setup(device: Device) throws {}
    public func validate(_ request: InferenceRequest, context: RequestContext) throws {}
    public func health() -> Bool { true }
    public mutating func teardown() {}

    public func predict(batch: [[Tensor]]) throws -> [[Tensor]] {
        guard batch.count > 1, batchesAlongFirstDimension else { return try batch.map { try predict($0) } }
        return try TensorBatching.predictConcatenated(batch, model: self)
    }
}

/// Concatenation of requests along the first dimension, and the split of the outputs.
enum TensorBatching {
    /// The key under which requests may share one call: every input's datatype and dimensions after the first,
    /// and the rows (first dimension, the same for every input); nil when a request cannot be concatenated (a
    /// scalar input, or inputs that disagree on their first dimension).
    static func key(_ inputs: [Tensor]) -> (shape: [[Int]], rows: Int)? {
        guard let rows = inputs.first?.shape.first else { return nil }
        var shapes: [[Int]] = []
        for input in inputs {
            guard let first = input.shape.first, first == rows else { return nil }
            shapes.append(Array(input.shape.dropFirst()))
        }
        return (shapes, rows)
    }

    /// One ``LitInferenceModel/predict(_:)`` call on the requests' inputs concatenated along the first dimension;
    /// the outputs split back by each request's rows. Requests that cannot join (see ``key(_:)``) run alone.
    static func predictConcatenated<Model: LitInferenceModel>(_ batch: [[Tensor]], model: Model) throws -> [[Tensor]] {
        let keys = batch.map(key)
        guard let first = keys[0], keys.allSatisfy({ $0?.shape == first.shape }) else {
            return try batch.map { try model.predict($0) }
        }
        let rows = keys.map { $0?.rows ?? 0 }
        let total = rows.reduce(0, +)
        var joined: [Tensor] = []
        for (position, input) in batch[0].enumerated() {
            guard let data = TensorData.concatenating(batch.map { $0[position].data }) else {
                return try batch.map { try model.predict($0) }
            }
            joined.append(Tensor(name: input.name, shape: [total] + first.shape[position], data: data))
        }
        let outputs = try model.predict(joined)
        var split: [[Tensor]] = Array(repeating: [], count: batch.count)
        for output in outputs {
            guard let outputRows = output.shape.first, outputRows == total, total > 0 else {
                throw InferenceError.modelFailure(
                    "output '\(output.name)' has shape \(show(output.shape)) for \(total) input rows: a model that "
                        + "batches along the first dimension answers one row per input row"
                )
            }
            let rowSize = output.data.count / total
            guard rowSize * total == output.data.count else {
                throw InferenceError.modelFailure(
                    "output '\(output.name)' has \(output.data.count) elements for its shape \(show(output.shape))"
                )
            }
            var offset = 0
            for (index, count) in rows.enumerated() {
                let part = output.data.slice(offset * rowSize..<(offset + count) * rowSize)
                split[index].append(Tensor(name: output.name, shape: [count] + output.shape.dropFirst(), data: part))
                offset += count
            }
        }
        return split
    }
}
