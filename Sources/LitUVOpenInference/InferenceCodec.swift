import LitUV

/// Serves a ``LitInferenceModel`` through LitUV's streaming machinery: each request emits exactly one outcome (its
/// output tensors, or the error of the call that computed them) and ``InferenceCodec`` renders it as one JSON body.
struct InferenceStreamingAdapter<Model: LitInferenceModel>: LitStreamingAPI {
    typealias Request = JSONValue
    typealias Input = InferenceRequest
    typealias Output = Result<[Tensor], any Error>
    typealias Response = JSONValue

    var model: Model

    mutating func setup(device: Device) throws { try model.setup(device: device) }
    func health() -> Bool { model.health() }
    mutating func teardown() { model.teardown() }

    func decodeRequest(_ request: JSONValue, context: RequestContext) throws -> InferenceRequest {
        throw InferenceError.modelFailure("inference requests are read by the codec")
    }

    func encodeResponse(_ output: Output) throws -> JSONValue { .null }

    func predict(_ input: InferenceRequest, emit: (Output) throws -> Void) throws {
        try predict(batch: [input]) { _, output in try emit(output) }
    }

    /// One ``LitInferenceModel/predict(batch:)`` call per group of requests whose shapes allow it (all of them
    /// when the model does not batch along the first dimension: its own `predict(batch:)` decides); a call that
    /// throws fails only its own group's requests.
    func predict(batch requests: [InferenceRequest], emit: (_ index: Int, _ output: Output) throws -> Void) throws {
        var groups: [[Int]] = []
        if model.batchesAlongFirstDimension {
            var keys: [[[Int]]] = []
            for (index, request) in requests.enumerated() {
                guard let key = TensorBatching.key(request.inputs) else {
                    groups.append([index])
                    keys.append([[-1]])  // never equal to a real key: the request runs alone
                    continue
                }
                if let group = keys.firstIndex(of: key.shape) {
                    groups[group].append(index)
                } else {
                    groups.append([index])
                    keys.append(key.shape)
                }
            }
        } else {
            groups = [Array(requests.indices)]
        }
        for group in groups {
            let outcomes: [Output]
            do {
                let outputs = try model.predict(batch: group.map { requests[$0].inputs })
                guard outputs.count == group.count else {
                    throw InferenceError.modelFailure(
                        "Batch size mismatch: \(outputs.count) results for \(group.count) requests"
                    )
                }
                outcomes = outputs.map { .success($0) }
            } catch {
                outcomes = Array(repeating: .failure(error), count: group.count)
            }
            for (index, outcome) in zip(group, outcomes) {
                do {
                    try emit(index, outcome)
                } catch is CancellationError {
                    // That client left; the others still get their outputs.
                }
            }
        }
    }
}

/// Reads `POST /v2/models/{name}/infer` bodies and renders the answer:
/// `{"model_name":…,"model_version":…,"id":…,"outputs":[{"name":…,"datatype":…,"shape":[…],"data":[…]}]}`.
/// Errors are `{"error":"…"}`.
struct InferenceCodec<Model: LitInferenceModel>: StreamingCodec {
    typealias API = InferenceStreamingAdapter<Model>

    struct State {
        let id: String?
        let requestedOutputs: [String]?
        var outcome: Result<[Tensor], any Error>?
    }

    let reader: InferenceRequestReader
    let version: String?

    func decode(body: [UInt8], context: RequestContext, api: API) throws -> (InferenceRequest, State) {
        let request = try reader.read(body)
        try api.model.validate(request, context: context)
        return (request, State(id: request.id, requestedOutputs: request.requestedOutputs))
    }

    func isStreamed(_ state: State) -> Bool { false }

    func contentType(_ state: State) -> StreamContentType { .json }

    func encode(_ output: Result<[Tensor], any Error>, state: inout State, api: API) throws -> [UInt8] {
        state.outcome = output
        return []
    }

    func end(state: inout State) throws -> [UInt8] {
        guard let outcome = state.outcome else {
            throw InferenceError.modelFailure("the model produced no result for this request")
        }
        let produced = try outcome.get()
        let names = state.requestedOutputs ?? reader.outputs.map(\.name)
        var selected: [Tensor] = []
        for name in names {
            guard let tensor = produced.first(where: { $0.name == name }) else {
                if state.requestedOutputs == nil { continue }
                throw InferenceError.modelFailure("the model did not produce the requested output '\(name)'")
            }
            try check(tensor)
            selected.append(tensor)
        }
        var json = JSONBytes(capacity: 96 + selected.reduce(0) { $0 + 32 + 12 * $1.data.count })
        json.raw(#"{"model_name":"#)
        json.string(reader.modelName)
        if let version {
            json.raw(#","model_version":"#)
            json.string(version)
        }
        if let id = state.id {
            json.raw(#","id":"#)
            json.string(id)
        }
        json.raw(#","outputs":["#)
        for (index, tensor) in selected.enumerated() {
            if index > 0 { json.raw(",") }
            try JSONTensorData.write(tensor, into: &json)
        }
        json.raw("]}")
        return json.bytes
    }

    /// A produced output must be declared, of its declared datatype, and hold as many elements as its shape.
    private func check(_ tensor: Tensor) throws {
        guard let declared = reader.outputs.first(where: { $0.name == tensor.name }) else {
            throw InferenceError.modelFailure("the model produced the undeclared output '\(tensor.name)'")
        }
        guard declared.datatype == tensor.datatype else {
            throw InferenceError.modelFailure(
                "output '\(tensor.name)' is \(tensor.datatype) but the model declares \(declared.datatype)"
            )
        }
        guard Tensor.elementCount(of: tensor.shape) == tensor.data.count else {
            throw InferenceError.modelFailure(
                "output '\(tensor.name)' has \(tensor.data.count) elements for its shape \(show(tensor.shape))"
            )
        }
    }

    func errorTrailer(_ message: String, state: State) -> [UInt8] {
        InferenceError.body(message)
    }

    func errorBody(for error: any Error) -> (status: Int, body: [UInt8])? {
        InferenceError.answer(for: error)
    }

    func errorMessage(for error: any Error) -> String? { (error as? InferenceError)?.message }
}
