// Reading values off a parsed document: `JSONDecodingContext` converts only the values a `Decodable` asks for
// (booleans and strings here, numbers in JSONDecodingContext+Numbers.swift), compares keys as bytes, and makes
// the `DecodingError`s with their coding paths; `JSONScalarKind` names the types it decodes directly.

// MARK: - Decoding context

/// What decoding one value went wrong with, before the coding path is known.
enum JSONValueFailure: Error {
    /// The JSON value has another type.
    case mismatch(found: JSONNode)
    /// A number that does not fit the requested type; `range` says what would (e.g. `between -128 and 127`).
    case outOfRange(text: String, range: String)
    /// A number with a fraction where an integer was wanted.
    case notAnInteger(text: String)
}

/// What every decoder and container of one `decode` call reads: kept on the caller's stack.
struct JSONDecodingStorage {
    /// The document's bytes.
    let bytes: UnsafePointer<UInt8>
    /// The nodes; the last one is a synthetic null.
    let nodes: UnsafePointer<JSONNode>
    /// The number of nodes.
    let count: Int
}

/// The parsed document shared by every decoder and container of one `decode` call.
///
/// It is one pointer to stack memory of `LitJSON.decode`, so decoders and containers are valid only during
/// that call (as the input bytes are); a `Decodable` that kept its decoder would be in error.
struct JSONDecodingContext {
    /// The document and its tape.
    let storage: UnsafePointer<JSONDecodingStorage>

    /// The document's bytes.
    @inline(__always)
    var bytes: UnsafePointer<UInt8> { storage.pointee.bytes }

    /// The parsed document.
    @inline(__always)
    var tape: UnsafePointer<JSONNode> { storage.pointee.nodes }

    /// The tape index of the synthetic null node used for absent values.
    var nullIndex: Int { storage.pointee.count - 1 }

    /// The raw text of a node.
    /// - Parameter node: A number or string node.
    /// - Returns: The bytes.
    @inline(__always)
    func text(of node: JSONNode) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: bytes + Int(node.start), count: Int(node.length))
    }

    /// The raw text of a number node as a `String`, for messages.
    /// - Parameter node: A number node.
    /// - Returns: The text.
    func numberText(_ node: JSONNode) -> String {
        String(decoding: text(of: node), as: UTF8.self)
    }

    // MARK: Scalars

    /// Decodes a boolean.
    /// - Parameter index: The tape index.
    /// - Returns: The value.
    @inline(__always)
    func bool(at index: Int) throws(JSONValueFailure) -> Bool {
        let node = tape[index]
        switch node.kind {
        case .true: return true
        case .false: return false
        default: throw .mismatch(found: node)
        }
    }

    /// Decodes a string, resolving escapes.
    /// - Parameter index: The tape index.
    /// - Returns: The value.
    @inline(__always)
    func string(at index: Int) throws(JSONValueFailure) -> String {
        let node = tape[index]
        guard node.kind == .string else {
            throw .mismatch(found: node)
        }
        return stringValue(of: node)
    }

    /// The value of a string node (its UTF-8 was validated by the parser).
    /// - Parameter node: A string node.
    /// - Returns: The string.
    func stringValue(of node: JSONNode) -> String {
        let raw = text(of: node)
        if !node.flag {
            return String(decoding: raw, as: UTF8.self)
        }
        return String(unsafeUninitializedCapacity: raw.count) { output in
            JSONDecodingContext.unescape(raw, into: output.baseAddress!)
        }
    }

    /// Writes the unescaped UTF-8 of a validated string's raw text; the result is never longer than the input.
    /// - Parameters:
    ///   - raw: The text between the quotes.
    ///   - output: Room for `raw.count` bytes.
    /// - Returns: The number of bytes written.
    static func unescape(_ raw: UnsafeBufferPointer<UInt8>, into output: UnsafeMutablePointer<UInt8>) -> Int {
        var read = 0
        var written = 0
        let count = raw.count
        while read < count {
            let byte = raw[read]
            if byte != UInt8(ascii: "\\") {
                output[written] = byte
                written += 1
                read += 1
                continue
            }
            let escaped = raw[read + 1]
            read += 2
            var scalar: UInt32
            switch escaped {
            case UInt8(ascii: "b"): scalar = 0x08
            case UInt8(ascii: "f"): scalar = 0x0C
            case UInt8(ascii: "n"): scalar = 0x0A
            case UInt8(ascii: "r"): scalar = 0x0D
            case UInt8(ascii: "t"): scalar = 0x09
            case UInt8(ascii: "u"):
                scalar = hex4(raw, read)
                read += 4
                if scalar >= 0xD800 && scalar <= 0xDBFF {
                    let low = hex4(raw, read + 2)
                    read += 6
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
            default: scalar = UInt32(escaped)  // " \ /
            }
            switch scalar {
            case 0..<0x80:
                output[written] = UInt8(scalar)
                written += 1
            case 0x80..<0x800:
                output[written] = UInt8(0xC0 | scalar >> 6)
                output[written + 1] = UInt8(0x80 | scalar & 0x3F)
                written += 2
            case 0x800..<0x10000:
                output[written] = UInt8(0xE0 | scalar >> 12)
                output[written + 1] = UInt8(0x80 | (scalar >> 6) & 0x3F)
                output[written + 2] = UInt8(0x80 | scalar & 0x3F)
                written += 3
            default:
                output[written] = UInt8(0xF0 | scalar >> 18)
                output[written + 1] = UInt8(0x80 | (scalar >> 12) & 0x3F)
                output[written + 2] = UInt8(0x80 | (scalar >> 6) & 0x3F)
                output[written + 3] = UInt8(0x80 | scalar & 0x3F)
                written += 4
            }
        }
        return written
    }

    /// The value of four validated hex digits.
    /// - Parameters:
    ///   - raw: The text.
    ///   - offset: The first digit.
    /// - Returns: The value.
    @inline(__always)
    private static func hex4(_ raw: UnsafeBufferPointer<UInt8>, _ offset: Int) -> UInt32 {
        var value: UInt32 = 0
        for index in offset..<(offset + 4) {
            value = value << 4 | UInt32(JSONParser.hexValue(raw[index]) ?? 0)
        }
        return value
    }

    /// Whether a key node spells `key` (compared as UTF-8 bytes; escaped keys are unescaped first).
    /// - Parameters:
    ///   - node: A string node.
    ///   - key: The key's UTF-8 bytes.
    /// - Returns: `true` if they are equal.
    @inline(__always)
    func keyMatches(_ node: JSONNode, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        if !node.flag {
            guard Int(node.length) == key.count else {
                return false
            }
            guard let keyBase = key.baseAddress else {
                return true
            }
            return memcmpBytes(bytes + Int(node.start), keyBase, key.count)
        }
        return keyMatchesEscaped(node, key)
    }

    /// `keyMatches` for a key written with escapes.
    /// - Parameters:
    ///   - node: A string node with escapes.
    ///   - key: The key's UTF-8 bytes.
    /// - Returns: `true` if they are equal.
    private func keyMatchesEscaped(_ node: JSONNode, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        let raw = text(of: node)
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: raw.count) { scratch in
            let count = JSONDecodingContext.unescape(raw, into: scratch.baseAddress!)
            guard count == key.count else {
                return false
            }
            return count == 0 || memcmpBytes(scratch.baseAddress!, key.baseAddress!, count)
        }
    }

    /// Byte-wise equality of two memory ranges.
    /// - Parameters:
    ///   - lhs: The first range.
    ///   - rhs: The second range.
    ///   - count: The length of both.
    /// - Returns: `true` if equal.
    @inline(__always)
    private func memcmpBytes(_ lhs: UnsafePointer<UInt8>, _ rhs: UnsafePointer<UInt8>, _ count: Int) -> Bool {
        var index = 0
        while index + 8 <= count {
            let left = UnsafeRawPointer(lhs + index).loadUnaligned(as: UInt64.self)
            let right = UnsafeRawPointer(rhs + index).loadUnaligned(as: UInt64.self)
            if left != right {
                return false
            }
            index += 8
        }
        while index < count {
            if lhs[index] != rhs[index] {
                return false
            }
            index += 1
        }
        return true
    }
}

// MARK: - Errors with coding paths

extension JSONDecodingContext {
    /// A `DecodingError` for a failed value.
    ///
    /// Cheap to make, since `try?` chains (`if let x = try? container.decode(...)`) throw and drop many of them:
    /// the debug description is a constant and the client-facing message is rendered only if the error reaches
    /// `LitJSON.decode` (from the `JSONDecodingIssue` carried as the underlying error).
    /// - Parameters:
    ///   - failure: What went wrong.
    ///   - type: The Swift type that was being decoded.
    ///   - path: The coding path of the value.
    /// - Returns: The error (`valueNotFound` for null, `typeMismatch`, or `dataCorrupted` for numbers).
    static func error(_ failure: JSONValueFailure, expected type: Any.Type, at path: [any CodingKey]) -> DecodingError {
        switch failure {
        case .mismatch(let node):
            let issue = JSONDecodingIssue(problem: .mismatch(found: node.kind), expected: type)
            if node.kind == .null {
                return .valueNotFound(
                    type,
                    .init(
                        codingPath: path,
                        debugDescription: "Expected a value but found null.",
                        underlyingError: issue
                    )
                )
            }
            return .typeMismatch(
                type,
                .init(codingPath: path, debugDescription: node.kind.mismatchDescription, underlyingError: issue)
            )
        case .outOfRange(let text, let range):
            let issue = JSONDecodingIssue(problem: .outOfRange(text: text, range: range), expected: type)
            return .dataCorrupted(
                .init(
                    codingPath: path,
                    debugDescription: "Parsed JSON number <\(text)> does not fit in \(type).",
                    underlyingError: issue
                )
            )
        case .notAnInteger(let text):
            let issue = JSONDecodingIssue(problem: .notAnInteger(text: text), expected: type)
            return .dataCorrupted(
                .init(
                    codingPath: path,
                    debugDescription: "Parsed JSON number <\(text)> does not fit in \(type).",
                    underlyingError: issue
                )
            )
        }
    }

    /// The error for a missing key.
    /// - Parameters:
    ///   - key: The key.
    ///   - path: The coding path of the object.
    /// - Returns: `DecodingError.keyNotFound`, described as `Missing field "<path>"`.
    static func keyNotFound(_ key: any CodingKey, in path: JSONCodingPath) -> DecodingError {
        .keyNotFound(
            key,
            .init(
                codingPath: path.keys,
                debugDescription: "No value associated with the key.",
                underlyingError: JSONDecodingIssue(problem: .missingKey, expected: Any.self)
            )
        )
    }

    // MARK: Generic decoding

    /// Decodes any `Decodable` at a tape index: scalars and arrays of common scalars directly, anything else
    /// through its `init(from:)` with a `LitJSONDecoder`.
    /// - Parameters:
    ///   - type: The type to decode.
    ///   - index: The tape index of the value.
    ///   - path: Makes the value's coding path (only called for errors and nested decoders).
    /// - Returns: The value.
    @inline(__always)
    func decode<T: Decodable>(_ type: T.Type, at index: Int, path: () -> JSONCodingPath) throws -> T {
        if let kind = JSONScalarKind(T.self) {
            return try decodeScalar(kind, T.self, at: index, path: path)
        }
        return try T(from: LitJSONDecoder(context: self, index: index, path: path()))
    }

    /// Decodes a value of a scalar type or an array of scalars.
    /// - Parameters:
    ///   - kind: Which type `T` is.
    ///   - type: The type.
    ///   - index: The tape index.
    ///   - path: Makes the value's coding path (for errors).
    /// - Returns: The value.
    private func decodeScalar<T>(
        _ kind: JSONScalarKind,
        _ type: T.Type,
        at index: Int,
        path: () -> JSONCodingPath
    )
        throws -> T
    {
        switch kind {
        case .doubleArray: return unsafeBitCast(try elements(Double.self, .double, at: index, path: path), to: T.self)
        case .floatArray: return unsafeBitCast(try elements(Float.self, .float, at: index, path: path), to: T.self)
        case .intArray: return unsafeBitCast(try elements(Int.self, .int, at: index, path: path), to: T.self)
        case .stringArray: return unsafeBitCast(try elements(String.self, .string, at: index, path: path), to: T.self)
        default:
            do throws(JSONValueFailure) {
                return try scalar(kind, T.self, at: index)
            } catch {
                throw Self.error(error, expected: T.self, at: path().keys)
            }
        }
    }

    /// Decodes a scalar.
    /// - Parameters:
    ///   - kind: Which scalar type `T` is (not an array kind).
    ///   - type: The type.
    ///   - index: The tape index.
    /// - Returns: The value.
    @inline(__always)
    private func scalar<T>(_ kind: JSONScalarKind, _ type: T.Type, at index: Int) throws(JSONValueFailure) -> T {
        switch kind {
        case .double: return unsafeBitCast(try double(at: index), to: T.self)
        case .string: return unsafeBitCast(try string(at: index), to: T.self)
        case .int: return unsafeBitCast(try integer(Int.self, at: index), to: T.self)
        case .bool: return unsafeBitCast(try bool(at: index), to: T.self)
        case .float: return unsafeBitCast(try float(at: index), to: T.self)
        case .int64: return unsafeBitCast(try integer(Int64.self, at: index), to: T.self)
        case .int32: return unsafeBitCast(try integer(Int32.self, at: index), to: T.self)
        case .int16: return unsafeBitCast(try integer(Int16.self, at: index), to: T.self)
        case .int8: return unsafeBitCast(try integer(Int8.self, at: index), to: T.self)
        case .uint: return unsafeBitCast(try integer(UInt.self, at: index), to: T.self)
        case .uint64: return unsafeBitCast(try integer(UInt64.self, at: index), to: T.self)
        case .uint32: return unsafeBitCast(try integer(UInt32.self, at: index), to: T.self)
        case .uint16: return unsafeBitCast(try integer(UInt16.self, at: index), to: T.self)
        case .uint8: return unsafeBitCast(try integer(UInt8.self, at: index), to: T.self)
        case .int128: return unsafeBitCast(try integer(Int128.self, at: index), to: T.self)
        case .uint128: return unsafeBitCast(try integer(UInt128.self, at: index), to: T.self)
        case .doubleArray, .floatArray, .intArray, .stringArray: preconditionFailure("not a scalar kind")
        }
    }

    /// Decodes an array of a scalar type in one loop, without containers.
    /// - Parameters:
    ///   - type: The element type.
    ///   - kind: The element type's kind.
    ///   - index: The tape index of the array.
    ///   - path: Makes the array's coding path (for errors).
    /// - Returns: The elements.
    private func elements<E>(
        _ type: E.Type,
        _ kind: JSONScalarKind,
        at index: Int,
        path: () -> JSONCodingPath
    )
        throws -> [E]
    {
        let node = tape[index]
        guard node.kind == .array else {
            throw Self.error(.mismatch(found: node), expected: [Any].self, at: path().keys)
        }
        var result: [E] = []
        result.reserveCapacity(Int(node.length))
        var element = index + 1
        var position = 0
        do throws(JSONValueFailure) {
            while position < Int(node.length) {
                result.append(try scalar(kind, E.self, at: element))
                element = Int(tape[element].next)
                position += 1
            }
        } catch {
            throw Self.error(error, expected: E.self, at: path().appending(index: position).keys)
        }
        return result
    }
}

/// The types `JSONDecodingContext` decodes directly (and `JSONEncodingState` writes directly).
///
/// Found by comparing metatypes, which is cheap even in unspecialized generic code (unlike creating a `T?`,
/// which needs generic metadata looked up at run time).
enum JSONScalarKind {
    /// `Double`, `String`, `Int`, `Bool`, `Float`.
    case double, string, int, bool, float
    /// The other integer types.
    case int64, int32, int16, int8, uint, uint64, uint32, uint16, uint8, int128, uint128
    /// `[Double]`, `[Float]`, `[Int]`, `[String]`.
    case doubleArray, floatArray, intArray, stringArray

    /// The kind of `T`, or `nil` if `T` is not one of these types.
    /// - Parameter type: The type.
    @inline(__always)
    init?<T>(_ type: T.Type) {
        if T.self == Double.self {
            self = .double
        } else if T.self == String.self {
            self = .string
        } else if T.self == Int.self {
            self = .int
        } else if T.self == Bool.self {
            self = .bool
        } else if T.self == Float.self {
            self = .float
        } else if T.self == Int64.self {
            self = .int64
        } else if T.self == Int32.self {
            self = .int32
        } else if T.self == Int16.self {
            self = .int16
        } else if T.self == Int8.self {
            self = .int8
        } else if T.self == UInt.self {
            self = .uint
        } else if T.self == UInt64.self {
            self = .uint64
        } else if T.self == UInt32.self {
            self = .uint32
        } else if T.self == UInt16.self {
            self = .uint16
        } else if T.self == UInt8.self {
            self = .uint8
        } else if T.self == Int128.self {
            self = .int128
        } else if T.self == UInt128.self {
            self = .uint128
        } else if T.self == [Double].self {
            self = .doubleArray
        } else if T.self == [Float].self {
            self = .floatArray
        } else if T.self == [Int].self {
            self = .intArray
        } else if T.self == [String].self {
            self = .stringArray
        } else {
            return nil
        }
    }
}
