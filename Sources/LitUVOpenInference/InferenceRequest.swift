import LitUV

/// One inference request, read and checked against the model's declared inputs and outputs.
public struct InferenceRequest: Sendable, Hashable {
    /// The request's `id`, echoed in the answer; nil when it sent none.
    public var id: String?
    /// The request's `parameters` (empty when it sent none).
    public var parameters: [String: JSONValue]
    /// One tensor per declared input, in the model's declaration order.
    public var inputs: [Tensor]
    /// The outputs the request asked for, by name, or nil for every output.
    public var requestedOutputs: [String]?

    /// A request (for tests and direct calls).
    /// - Parameters:
    ///   - id: The request id.
    ///   - parameters: The request parameters.
    ///   - inputs: The input tensors, in the model's declaration order.
    ///   - requestedOutputs: The outputs asked for, or nil for all.
    public init(
        id: String? = nil,
        parameters: [String: JSONValue] = [:],
        inputs: [Tensor],
        requestedOutputs: [String]? = nil
    ) {
        self.id = id
        self.parameters = parameters
        self.inputs = inputs
        self.requestedOutputs = requestedOutputs
    }
}

/// Reads `POST /v2/models/{name}/infer` bodies: the JSON header, and the binary tensor data that may follow it
/// (the binary data extension: an input with `parameters.binary_data_size` and no `data` takes that many bytes,
/// in input order, from after the JSON).
struct InferenceRequestReader {
    let modelName: String
    let inputs: [TensorMetadata]
    let outputs: [TensorMetadata]

    func read(_ body: [UInt8]) throws -> InferenceRequest {
        let headerLength = try Self.jsonLength(body)
        let json: JSONValue
        var binary: ArraySlice<UInt8> = []
        if headerLength == body.count {
            json = try JSONValue(parsing: body)
        } else {
            json = try JSONValue(parsing: Array(body[..<headerLength]))
            binary = body[headerLength...]
        }
        guard case .object(let members) = json else {
            throw InferenceError.invalidRequest("the request body must be a JSON object")
        }
        var request = InferenceRequest(inputs: [])
        switch members["id"] {
        case nil, .null?: break
        case .string(let id)?: request.id = id
        default: throw InferenceError.invalidRequest("'id' must be a string")
        }
        switch members["parameters"] {
        case nil, .null?: break
        case .object(let parameters)?: request.parameters = parameters
        default: throw InferenceError.invalidRequest("'parameters' must be an object")
        }
        request.inputs = try readInputs(members["inputs"], binary: &binary)
        if !binary.isEmpty {
            throw InferenceError.invalidRequest(
                "\(binary.count) bytes follow the JSON but no input's binary_data_size claims them"
            )
        }
        request.requestedOutputs = try readOutputs(members["outputs"])
        return request
    }

    // MARK: Inputs

    private func readInputs(_ value: JSONValue?, binary: inout ArraySlice<UInt8>) throws -> [Tensor] {
        guard case .array(let entries)? = value else {
            if value == nil || value == .null { throw InferenceError.invalidRequest("missing 'inputs'") }
            throw InferenceError.invalidRequest("'inputs' must be an array")
        }
        var found: [Tensor?] = Array(repeating: nil, count: inputs.count)
        for (index, entry) in entries.enumerated() {
            guard case .object(let fields) = entry else {
                throw InferenceError.invalidRequest("inputs[\(index)] must be an object")
            }
            guard case .string(let name)? = fields["name"] else {
                throw InferenceError.invalidRequest("inputs[\(index)] needs a string 'name'")
            }
            guard let position = inputs.firstIndex(where: { $0.name == name }) else {
                throw InferenceError.invalidRequest("unexpected inference input '\(name)' for model '\(modelName)'")
            }
            guard found[position] == nil else {
                throw InferenceError.invalidRequest("input '\(name)' is given more than once")
            }
            found[position] = try readInput(name: name, fields: fields, declared: inputs[position], binary: &binary)
        }
        if let missing = found.firstIndex(where: { $0 == nil }) {
            throw InferenceError.invalidRequest(
                "expected \(inputs.count) inputs but got \(entries.count) inputs for model '\(modelName)': "
                    + "missing input '\(inputs[missing].name)'"
            )
        }
        return found.compactMap { $0 }
    }

    private func readInput(
        name: String,
        fields: [String: JSONValue],
        declared: TensorMetadata,
        binary: inout ArraySlice<UInt8>
    ) throws -> Tensor {
        guard case .string(let typeName)? = fields["datatype"] else {
            throw InferenceError.invalidRequest("input '\(name)' needs a string 'datatype'")
        }
        guard let datatype = TensorDataType(rawValue: typeName) else {
            let known = TensorDataType.allCases.map(\.rawValue).joined(separator: ", ")
            throw InferenceError.invalidRequest("input '\(name)': unknown datatype '\(typeName)' (one of \(known))")
        }
        guard datatype == declared.datatype else {
            throw InferenceError.invalidRequest(
                "inference input '\(name)' data-type is '\(datatype)', but model '\(modelName)' expects "
                    + "'\(declared.datatype)'"
            )
        }
        let shape = try readShape(fields["shape"], input: name)
        guard declared.accepts(shape: shape) else {
            throw InferenceError.invalidRequest(
                "unexpected shape for input '\(name)' for model '\(modelName)'. Expected \(show(declared.shape)), "
                    + "got \(show(shape))"
            )
        }
        guard let count = Tensor.elementCount(of: shape) else {
            throw InferenceError.invalidRequest("input '\(name)': the shape \(show(shape)) is too large")
        }
        var parameters: [String: JSONValue] = [:]
        switch fields["parameters"] {
        case nil, .null?: break
        case .object(let object)?: parameters = object
        default: throw InferenceError.invalidRequest("input '\(name)': 'parameters' must be an object")
        }
        let data: TensorData
        if let size = parameters["binary_data_size"] {
            guard case .number(let number) = size, let byteCount = Int(exactly: number), byteCount >= 0 else {
                throw InferenceError.invalidRequest("input '\(name)': binary_data_size must be a whole number")
            }
            guard fields["data"] == nil else {
                throw InferenceError.invalidRequest("input '\(name)' has both 'data' and binary_data_size")
            }
            guard byteCount <= binary.count else {
                throw InferenceError.invalidRequest(
                    "input '\(name)': binary_data_size \(byteCount) but only \(binary.count) bytes follow the JSON"
                )
            }
            let bytes = binary.prefix(byteCount)
            binary = binary.dropFirst(byteCount)
            data = try BinaryTensorData.decode(bytes, as: datatype, count: count, input: name)
        } else {
            guard let value = fields["data"], value != .null else {
                throw InferenceError.invalidRequest("input '\(name)' has no 'data'")
            }
            data = try JSONTensorData.decode(value, as: datatype, input: name)
        }
        guard data.count == count else {
            throw InferenceError.invalidRequest(
                "unexpected number of elements for input '\(name)': the shape \(show(shape)) holds \(count), "
                    + "the data has \(data.count)"
            )
        }
        return Tensor(name: name, shape: shape, data: data)
    }

    private func readShape(_ value: JSONValue?, input: String) throws -> [Int] {
        guard case .array(let dimensions)? = value else {
            throw InferenceError.invalidRequest("input '\(input)' needs a 'shape' array")
        }
        return try dimensions.map { dimension in
            guard case .number(let number) = dimension, let size = Int(exactly: number), size >= 0 else {
                throw InferenceError.invalidRequest(
                    "input '\(input)': every dimension of 'shape' must be a whole number, not negative"
                )
            }
            return size
        }
    }

    // MARK: Outputs

    private func readOutputs(_ value: JSONValue?) throws -> [String]? {
        guard let value, value != .null else { return nil }
        guard case .array(let entries) = value else {
            throw InferenceError.invalidRequest("'outputs' must be an array")
        }
        var names: [String] = []
        for (index, entry) in entries.enumerated() {
            guard case .string(let name)? = entry["name"] else {
                throw InferenceError.invalidRequest("outputs[\(index)] needs a string 'name'")
            }
            guard outputs.contains(where: { $0.name == name }) else {
                throw InferenceError.invalidRequest("unexpected inference output '\(name)' for model '\(modelName)'")
            }
            if !names.contains(name) { names.append(name) }
        }
        return names
    }

    // MARK: Framing

    /// The length of the JSON object at the start of `body` (the whole body when nothing follows it but
    /// whitespace); what follows is binary tensor data. Malformed JSON is left to the parser to word.
    static func jsonLength(_ body: [UInt8]) throws -> Int {
        var index = 0
        while index < body.count, isWhitespace(body[index]) { index += 1 }
        guard index < body.count, body[index] == UInt8(ascii: "{") else { return body.count }
        var depth = 0
        var inString = false
        var escaped = false
        while index < body.count {
            let byte = body[index]
            index += 1
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 0 {
                    var rest = index
                    while rest < body.count, isWhitespace(body[rest]) { rest += 1 }
                    return rest == body.count ? body.count : index
                }
            default: break
            }
        }
        return body.count
    }
}

/// JSON whitespace.
private func isWhitespace(_ byte: UInt8) -> Bool {
    byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
}

/// `[2,3]` (shapes in messages).
func show(_ shape: [Int]) -> String {
    "[" + shape.map(String.init).joined(separator: ",") + "]"
}
