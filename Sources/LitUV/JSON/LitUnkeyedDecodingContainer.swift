// The unkeyed decoding container: a JSON array, read front to back.

/// A JSON array, read front to back.
struct LitUnkeyedDecodingContainer: UnkeyedDecodingContainer {
    /// The document.
    let context: JSONDecodingContext
    /// The coding path of the array.
    let path: JSONCodingPath
    /// The number of elements.
    let count: Int?
    /// The position of the next element.
    private(set) var currentIndex = 0
    /// The tape index of the next element.
    private var cursor: Int

    /// Creates a container.
    /// - Parameters:
    ///   - context: The document.
    ///   - array: The tape index of the array.
    ///   - path: The coding path of the array.
    init(context: JSONDecodingContext, array: Int, path: JSONCodingPath) {
        self.context = context
        self.path = path
        self.count = Int(context.tape[array].length)
        self.cursor = array + 1
    }

    /// The coding path of the array.
    var codingPath: [any CodingKey] { path.keys }

    /// Whether every element has been decoded.
    var isAtEnd: Bool { currentIndex >= count! }

    /// The error for reading past the last element.
    /// - Parameter type: The type that was wanted.
    /// - Returns: `DecodingError.valueNotFound`.
    private func atEnd(_ type: Any.Type) -> DecodingError {
        .valueNotFound(
            type,
            .init(
                codingPath: path.appending(index: currentIndex).keys,
                debugDescription: "Unkeyed container is at end.",
                underlyingError: JSONDecodingIssue(problem: .arrayEnd(count: count!), expected: type)
            )
        )
    }

    /// Moves to the next element.
    @inline(__always)
    private mutating func advance() {
        cursor = Int(context.tape[cursor].next)
        currentIndex += 1
    }

    /// Consumes the next element if it is null.
    /// - Returns: `true` if it was null.
    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd else {
            throw atEnd(Any?.self)
        }
        if context.tape[cursor].kind == .null {
            advance()
            return true
        }
        return false
    }

    /// Decodes the next element.
    /// - Parameter type: The type.
    /// - Returns: The value.
    @inline(__always)
    private mutating func next<T: Decodable>(_ type: T.Type) throws -> T {
        guard !isAtEnd else {
            throw atEnd(T.self)
        }
        let value = try context.decode(T.self, at: cursor, path: { path.appending(index: currentIndex) })
        advance()
        return value
    }

    /// Decodes the next element as `Bool`.
    mutating func decode(_ type: Bool.Type) throws -> Bool { try next(type) }
    /// Decodes the next element as `String`.
    mutating func decode(_ type: String.Type) throws -> String { try next(type) }
    /// Decodes the next element as `Double`.
    mutating func decode(_ type: Double.Type) throws -> Double { try next(type) }
    /// Decodes the next element as `Float`.
    mutating func decode(_ type: Float.Type) throws -> Float { try next(type) }
    /// Decodes the next element as `Int`.
    mutating func decode(_ type: Int.Type) throws -> Int { try next(type) }
    /// Decodes the next element as `Int8`.
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try next(type) }
    /// Decodes the next element as `Int16`.
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try next(type) }
    /// Decodes the next element as `Int32`.
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try next(type) }
    /// Decodes the next element as `Int64`.
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try next(type) }
    /// Decodes the next element as `Int128`.
    mutating func decode(_ type: Int128.Type) throws -> Int128 { try next(type) }
    /// Decodes the next element as `UInt`.
    mutating func decode(_ type: UInt.Type) throws -> UInt { try next(type) }
    /// Decodes the next element as `UInt8`.
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try next(type) }
    /// Decodes the next element as `UInt16`.
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try next(type) }
    /// Decodes the next element as `UInt32`.
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try next(type) }
    /// Decodes the next element as `UInt64`.
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try next(type) }
    /// Decodes the next element as `UInt128`.
    mutating func decode(_ type: UInt128.Type) throws -> UInt128 { try next(type) }
    /// Decodes the next element as any `Decodable`.
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next(type) }

    /// The next element as an object.
    /// - Parameter type: The nested keys.
    /// - Returns: A keyed container.
    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type
    ) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        guard !isAtEnd else {
            throw atEnd([String: Any].self)
        }
        let container = try LitJSONDecoder(context: context, index: cursor, path: path.appending(index: currentIndex))
            .container(keyedBy: NestedKey.self)
        advance()
        return container
    }

    /// The next element as an array.
    /// - Returns: An unkeyed container.
    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard !isAtEnd else {
            throw atEnd([Any].self)
        }
        let container = try LitJSONDecoder(context: context, index: cursor, path: path.appending(index: currentIndex))
            .unkeyedContainer()
        advance()
        return container
    }

    /// A decoder for the next element.
    /// - Returns: The decoder.
    mutating func superDecoder() throws -> any Decoder {
        guard !isAtEnd else {
            throw atEnd((any Decoder).self)
        }
        let decoder = LitJSONDecoder(context: context, index: cursor, path: path.appending(index: currentIndex))
        advance()
        return decoder
    }
}
