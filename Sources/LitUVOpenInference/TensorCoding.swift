import LitUV

/// Tensor data sent as JSON: flat or nested arrays (row-major), numbers, booleans or strings by datatype.
enum JSONTensorData {
    /// Reads `value` as elements of `datatype`.
    /// - Throws: ``InferenceError`` (400) naming the input and the first element that does not fit.
    static func decode(_ value: JSONValue, as datatype: TensorDataType, input: String) throws -> TensorData {
        var elements: [JSONValue] = []
        switch value {
        case .array(let array):
            if array.contains(where: { if case .array = $0 { true } else { false } }) {
                flatten(array, into: &elements)
            } else {
                elements = array
            }
        default:
            elements = [value]  // a scalar tensor may send its one element bare
        }
        switch datatype {
        case .bool:
            return .bool(
                try elements.enumerated().map { index, element in
                    guard case .bool(let flag) = element else { throw wrongType(input, index, "true or false") }
                    return flag
                }
            )
        case .uint8: return .uint8(try integers(elements, input: input))
        case .uint16: return .uint16(try integers(elements, input: input))
        case .uint32: return .uint32(try integers(elements, input: input))
        case .uint64: return .uint64(try integers(elements, input: input))
        case .int8: return .int8(try integers(elements, input: input))
        case .int16: return .int16(try integers(elements, input: input))
        case .int32: return .int32(try integers(elements, input: input))
        case .int64: return .int64(try integers(elements, input: input))
        case .fp16:
            return .fp16(
                try numbers(elements, input: input).enumerated().map { index, number in
                    guard number.magnitude <= 65504 else { throw outOfRange(input, index, datatype) }
                    return Float(number)
                }
            )
        case .fp32:
            return .fp32(
                try numbers(elements, input: input).enumerated().map { index, number in
                    let value = Float(number)
                    guard value.isFinite else { throw outOfRange(input, index, datatype) }
                    return value
                }
            )
        case .fp64:
            return .fp64(try numbers(elements, input: input))
        case .bytes:
            return .bytes(
                try elements.enumerated().map { index, element in
                    guard case .string(let text) = element else { throw wrongType(input, index, "strings") }
                    return Array(text.utf8)
                }
            )
        }
    }

    private static func flatten(_ array: [JSONValue], into elements: inout [JSONValue]) {
        for element in array {
            if case .array(let inner) = element {
                flatten(inner, into: &elements)
            } else {
                elements.append(element)
            }
        }
    }

    private static func numbers(_ elements: [JSONValue], input: String) throws -> [Double] {
        try elements.enumerated().map { index, element in
            guard case .number(let number) = element else { throw wrongType(input, index, "numbers") }
            return number
        }
    }

    private static func integers<T: FixedWidthInteger>(_ elements: [JSONValue], input: String) throws -> [T] {
        try elements.enumerated().map { index, element in
            guard case .number(let number) = element else { throw wrongType(input, index, "whole numbers") }
            guard let value = T(exactly: number) else {
                throw InferenceError.invalidRequest(
                    "input '\(input)': element \(index) (\(number)) is not a "
                        + "whole number in the range of \(T.self)"
                )
            }
            return value
        }
    }

    private static func wrongType(_ input: String, _ index: Int, _ expected: String) -> InferenceError {
        .invalidRequest("input '\(input)': element \(index) of 'data' has the wrong JSON type; expected \(expected)")
    }

    private static func outOfRange(_ input: String, _ index: Int, _ datatype: TensorDataType) -> InferenceError {
        .invalidRequest("input '\(input)': element \(index) is out of the range of \(datatype)")
    }

    /// Appends `tensor` as a response output: `{"name":…,"datatype":…,"shape":[…],"data":[…]}`.
    /// - Throws: ``InferenceError`` (500) for a non-finite number, which JSON cannot carry.
    static func write(_ tensor: Tensor, into json: inout JSONBytes) throws {
        json.raw(#"{"name":"#)
        json.string(tensor.name)
        json.raw(#","datatype":""#)
        json.raw(Array(tensor.datatype.rawValue.utf8))
        json.raw(#"","shape":["#)
        for (index, dimension) in tensor.shape.enumerated() {
            if index > 0 { json.raw(",") }
            json.int(dimension)
        }
        json.raw(#"],"data":["#)
        switch tensor.data {
        case .bool(let values): list(values, &json) { value, json in json.raw(value ? "true" : "false") }
        case .uint8(let values): list(values, &json) { value, json in json.int(Int(value)) }
        case .uint16(let values): list(values, &json) { value, json in json.int(Int(value)) }
        case .uint32(let values): list(values, &json) { value, json in json.int(Int(value)) }
        case .uint64(let values): list(values, &json) { value, json in json.raw(Array(String(value).utf8)) }
        case .int8(let values): list(values, &json) { value, json in json.int(Int(value)) }
        case .int16(let values): list(values, &json) { value, json in json.int(Int(value)) }
        case .int32(let values): list(values, &json) { value, json in json.int(Int(value)) }
        case .int64(let values): list(values, &json) { value, json in json.int(Int(value)) }
        case .fp16(let values), .fp32(let values):
            for (index, value) in values.enumerated() {
                if index > 0 { json.raw(",") }
                do {
                    try json.float(value)
                } catch {
                    throw InferenceError.modelFailure("output '\(tensor.name)' holds a non-finite number")
                }
            }
        case .fp64(let values):
            for (index, value) in values.enumerated() {
                guard value.isFinite else {
                    throw InferenceError.modelFailure("output '\(tensor.name)' holds a non-finite number")
                }
                if index > 0 { json.raw(",") }
                json.number(value)
            }
        case .bytes(let values):
            list(values, &json) { value, json in json.string(String(decoding: value, as: UTF8.self)) }
        }
        json.raw("]}")
    }

    private static func list<T>(_ values: [T], _ json: inout JSONBytes, _ write: (T, inout JSONBytes) -> Void) {
        for (index, value) in values.enumerated() {
            if index > 0 { json.raw(",") }
            write(value, &json)
        }
    }
}

/// Tensor data sent in binary after the JSON (the binary tensor data extension): little-endian elements, one byte
/// per `BOOL`, and for `BYTES` each element as a 4-byte little-endian length and its bytes.
enum BinaryTensorData {
    /// Reads `count` elements of `datatype` from `bytes`.
    /// - Throws: ``InferenceError`` (400) when the size does not match the shape.
    static func decode(
        _ bytes: ArraySlice<UInt8>,
        as datatype: TensorDataType,
        count: Int,
        input: String
    ) throws -> TensorData {
        let bytes = Array(bytes)
        guard let size = datatype.elementSize else { return .bytes(try strings(bytes, input: input)) }
        guard bytes.count == count * size else {
            throw InferenceError.invalidRequest(
                "unexpected number of elements for input '\(input)': \(bytes.count) bytes of binary data hold "
                    + "\(bytes.count / size) \(datatype) elements, the shape holds \(count)"
            )
        }
        switch datatype {
        case .bool: return .bool(bytes.map { $0 != 0 })
        case .uint8: return .uint8(bytes)
        case .int8: return .int8(bytes.map { Int8(bitPattern: $0) })
        case .uint16: return .uint16(words(bytes))
        case .int16: return .int16(words(bytes).map { Int16(bitPattern: $0) })
        case .uint32: return .uint32(words(bytes))
        case .int32: return .int32(words(bytes).map { Int32(bitPattern: $0) })
        case .uint64: return .uint64(words(bytes))
        case .int64: return .int64(words(bytes).map { Int64(bitPattern: $0) })
        case .fp16: return .fp16(words(bytes).map { (bits: UInt16) in halfToFloat(bits) })
        case .fp32: return .fp32(words(bytes).map { (bits: UInt32) in Float(bitPattern: bits) })
        case .fp64: return .fp64(words(bytes).map { (bits: UInt64) in Double(bitPattern: bits) })
        case .bytes: return .bytes([])
        }
    }

    /// Little-endian unsigned words of `T`'s width.
    private static func words<T: FixedWidthInteger & UnsignedInteger>(_ bytes: [UInt8]) -> [T] {
        let width = T.bitWidth / 8
        var result: [T] = []
        result.reserveCapacity(bytes.count / width)
        var offset = 0
        while offset + width <= bytes.count {
            var value: T = 0
            for byte in 0..<width { value |= T(bytes[offset + byte]) << (8 * byte) }
            result.append(value)
            offset += width
        }
        return result
    }

    private static func strings(_ bytes: [UInt8], input: String) throws -> [[UInt8]] {
        var result: [[UInt8]] = []
        var offset = 0
        while offset < bytes.count {
            guard offset + 4 <= bytes.count else {
                throw InferenceError.invalidRequest("input '\(input)': BYTES binary data end inside a length prefix")
            }
            let lengths: [UInt32] = words(Array(bytes[offset..<offset + 4]))
            let length = Int(lengths[0])
            offset += 4
            guard length <= bytes.count - offset else {
                throw InferenceError.invalidRequest("input '\(input)': a BYTES element runs past the binary data")
            }
            result.append(Array(bytes[offset..<offset + length]))
            offset += length
        }
        return result
    }

    /// An IEEE 754 half-precision value's bits as a `Float` (exact: every half is a float).
    static func halfToFloat(_ bits: UInt16) -> Float {
        let sign: Float = bits & 0x8000 != 0 ? -1 : 1
        let exponent = Int(bits >> 10 & 0x1F)
        let fraction = Float(bits & 0x3FF)
        switch exponent {
        case 0: return sign * fraction * Float(sign: .plus, exponent: -24, significand: 1)
        case 31: return fraction == 0 ? sign * .infinity : .nan
        default: return sign * (1 + fraction / 1024) * Float(sign: .plus, exponent: exponent - 15, significand: 1)
        }
    }
}
