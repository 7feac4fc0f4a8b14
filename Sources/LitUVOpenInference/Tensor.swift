import LitUV

/// The element types of the Open Inference Protocol's tensors, by their protocol names.
public enum TensorDataType: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// `BOOL`: true or false (one byte each in binary data).
    case bool = "BOOL"
    /// `UINT8`.
    case uint8 = "UINT8"
    /// `UINT16`.
    case uint16 = "UINT16"
    /// `UINT32`.
    case uint32 = "UINT32"
    /// `UINT64`.
    case uint64 = "UINT64"
    /// `INT8`.
    case int8 = "INT8"
    /// `INT16`.
    case int16 = "INT16"
    /// `INT32`.
    case int32 = "INT32"
    /// `INT64`.
    case int64 = "INT64"
    /// `FP16`: IEEE 754 half precision, held as `Float` values within ±65504.
    case fp16 = "FP16"
    /// `FP32`.
    case fp32 = "FP32"
    /// `FP64`.
    case fp64 = "FP64"
    /// `BYTES`: byte strings (JSON strings in JSON data).
    case bytes = "BYTES"

    /// The size of one element in binary tensor data, or nil for `BYTES` (each element is length-prefixed).
    public var elementSize: Int? {
        switch self {
        case .bool, .uint8, .int8: 1
        case .uint16, .int16, .fp16: 2
        case .uint32, .int32, .fp32: 4
        case .uint64, .int64, .fp64: 8
        case .bytes: nil
        }
    }

    public var description: String { rawValue }
}

/// The elements of a tensor, flattened in row-major order, typed by their ``TensorDataType``.
public enum TensorData: Sendable, Hashable {
    /// `BOOL` elements.
    case bool([Bool])
    /// `UINT8` elements.
    case uint8([UInt8])
    /// `UINT16` elements.
    case uint16([UInt16])
    /// `UINT32` elements.
    case uint32([UInt32])
    /// `UINT64` elements.
    case uint64([UInt64])
    /// `INT8` elements.
    case int8([Int8])
    /// `INT16` elements.
    case int16([Int16])
    /// `INT32` elements.
    case int32([Int32])
    /// `INT64` elements.
    case int64([Int64])
    /// `FP16` elements, held as `Float` (each within the half-precision range, ±65504).
    case fp16([Float])
    /// `FP32` elements.
    case fp32([Float])
    /// `FP64` elements.
    case fp64([Double])
    /// `BYTES` elements: one byte string each.
    case bytes([[UInt8]])

    /// The element type.
    public var datatype: TensorDataType {
        switch self {
        case .bool: .bool
        case .uint8: .uint8
        case .uint16: .uint16
        case .uint32: .uint32
        case .uint64: .uint64
        case .int8: .int8
        case .int16: .int16
        case .int32: .int32
        case .int64: .int64
        case .fp16: .fp16
        case .fp32: .fp32
        case .fp64: .fp64
        case .bytes: .bytes
        }
    }

    /// The number of elements.
    public var count: Int {
        switch self {
        case .bool(let values): values.count
        case .uint8(let values): values.count
        case .uint16(let values): values.count
        case .uint32(let values): values.count
        case .uint64(let values): values.count
        case .int8(let values): values.count
        case .int16(let values): values.count
        case .int32(let values): values.count
        case .int64(let values): values.count
        case .fp16(let values): values.count
        case .fp32(let values): values.count
        case .fp64(let values): values.count
        case .bytes(let values): values.count
        }
    }

    /// The elements in `range` (positions in the flattened data).
    /// - Parameter range: Positions within `0..<count`.
    /// - Returns: Those elements, of the same type.
    public func slice(_ range: Range<Int>) -> TensorData {
        switch self {
        case .bool(let values): .bool(Array(values[range]))
        case .uint8(let values): .uint8(Array(values[range]))
        case .uint16(let values): .uint16(Array(values[range]))
        case .uint32(let values): .uint32(Array(values[range]))
        case .uint64(let values): .uint64(Array(values[range]))
        case .int8(let values): .int8(Array(values[range]))
        case .int16(let values): .int16(Array(values[range]))
        case .int32(let values): .int32(Array(values[range]))
        case .int64(let values): .int64(Array(values[range]))
        case .fp16(let values): .fp16(Array(values[range]))
        case .fp32(let values): .fp32(Array(values[range]))
        case .fp64(let values): .fp64(Array(values[range]))
        case .bytes(let values): .bytes(Array(values[range]))
        }
    }

    /// The elements of several tensors of one type, one after another (nil when the types differ or `parts` is
    /// empty).
    /// - Parameter parts: Data of the same type.
    /// - Returns: Their concatenation, or nil.
    public static func concatenating(_ parts: [TensorData]) -> TensorData? {
        guard var result = parts.first else { return nil }
        for part in parts.dropFirst() {
            switch (result, part) {
            case (.bool(let a), .bool(let b)): result = .bool(a + b)
            case (.uint8(let a), .uint8(let b)): result = .uint8(a + b)
            case (.uint16(let a), .uint16(let b)): result = .uint16(a + b)
            case (.uint32(let a), .uint32(let b)): result = .uint32(a + b)
            case (.uint64(let a), .uint64(let b)): result = .uint64(a + b)
            case (.int8(let a), .int8(let b)): result = .int8(a + b)
            case (.int16(let a), .int16(let b)): result = .int16(a + b)
            case (.int32(let a), .int32(let b)): result = .int32(a + b)
            case (.int64(let a), .int64(let b)): result = .int64(a + b)
            case (.fp16(let a), .fp16(let b)): result = .fp16(a + b)
            case (.fp32(let a), .fp32(let b)): result = .fp32(a + b)
            case (.fp64(let a), .fp64(let b)): result = .fp64(a + b)
            case (.bytes(let a), .bytes(let b)): result = .bytes(a + b)
            default: return nil
            }
        }
        return result
    }
}

/// A named, shaped, typed tensor: an input a request sent, or an output a model produced.
public struct Tensor: Sendable, Hashable {
    /// The tensor's name (an input or output name of the model).
    public var name: String
    /// The dimensions; the element count is their product (1 for a scalar, `[]`).
    public var shape: [Int]
    /// The elements, flattened in row-major order.
    public var data: TensorData

    /// A tensor.
    /// - Parameters:
    ///   - name: An input or output name of the model.
    ///   - shape: The dimensions.
    ///   - data: The elements in row-major order (as many as the shape's product).
    public init(name: String, shape: [Int], data: TensorData) {
        self.name = name
        self.shape = shape
        self.data = data
    }

    /// The element type.
    public var datatype: TensorDataType { data.datatype }

    /// The elements when the tensor is `FP32`, else nil.
    public var fp32: [Float]? {
        if case .fp32(let values) = data { return values }
        return nil
    }

    /// The elements when the tensor is `FP64`, else nil.
    public var fp64: [Double]? {
        if case .fp64(let values) = data { return values }
        return nil
    }

    /// The elements when the tensor is `INT64`, else nil.
    public var int64: [Int64]? {
        if case .int64(let values) = data { return values }
        return nil
    }

    /// The elements when the tensor is `INT32`, else nil.
    public var int32: [Int32]? {
        if case .int32(let values) = data { return values }
        return nil
    }

    /// The elements when the tensor is `BYTES`, else nil.
    public var bytes: [[UInt8]]? {
        if case .bytes(let values) = data { return values }
        return nil
    }

    /// The elements when the tensor is `BOOL`, else nil.
    public var bool: [Bool]? {
        if case .bool(let values) = data { return values }
        return nil
    }

    /// The element count its shape describes (the product of the dimensions), or nil when a dimension is
    /// negative or the product overflows.
    public static func elementCount(of shape: [Int]) -> Int? {
        var product = 1
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (result, overflow) = product.multipliedReportingOverflow(by: dimension)
            if overflow { return nil }
            product = result
        }
        return product
    }
}

/// A model input or output as the model declares it: `GET /v2/models/{name}` lists them, and every request is
/// checked against them.
public struct TensorMetadata: Sendable, Hashable {
    /// The tensor's name.
    public var name: String
    /// The element type requests must send (or the model produces).
    public var datatype: TensorDataType
    /// The dimensions; -1 for a dimension of any size.
    public var shape: [Int]

    /// A declaration.
    /// - Parameters:
    ///   - name: The tensor's name.
    ///   - datatype: The element type.
    ///   - shape: The dimensions, -1 for a variable one.
    public init(name: String, datatype: TensorDataType, shape: [Int]) {
        self.name = name
        self.datatype = datatype
        self.shape = shape
    }

    /// Whether `shape` fits this declaration: the same rank, and equal sizes where the declaration is not -1.
    public func accepts(shape: [Int]) -> Bool {
        guard shape.count == self.shape.count else { return false }
        for (declared, actual) in zip(self.shape, shape) where declared != -1 && declared != actual {
            return false
        }
        return true
    }
}
