// The `Decoder` handed to `init(from:)`: one value of a parsed document, also its own single-value container.

/// The `Decoder` handed to `init(from:)`: one JSON value of a parsed document. It is also its own
/// single-value container.
package struct LitJSONDecoder: Decoder, SingleValueDecodingContainer {
    /// The parsed document.
    let context: JSONDecodingContext
    /// The tape index of the value.
    let index: Int
    /// The coding path of the value.
    let path: JSONCodingPath

    /// The coding path of the value.
    package var codingPath: [any CodingKey] { path.keys }

    /// Always empty.
    package var userInfo: [CodingUserInfoKey: Any] { [:] }

    /// The JSON type of the value.
    ///
    /// For types that accept several JSON types (a free-form JSON value): `(decoder as? LitJSONDecoder)?.jsonKind`
    /// tells which container to ask for, where probing with `try?` would throw and drop an error per attempt.
    package var jsonKind: JSONNode.Kind { context.tape[index].kind }

    /// The value as an object.
    /// - Parameter type: The keys.
    /// - Returns: A keyed container.
    /// - Throws: `DecodingError.typeMismatch` (or `valueNotFound` for null) if the value is not an object.
    package func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        let node = context.tape[index]
        guard node.kind == .object else {
            throw JSONDecodingContext.error(.mismatch(found: node), expected: [String: Any].self, at: path.keys)
        }
        return KeyedDecodingContainer(LitKeyedDecodingContainer<Key>(context: context, object: index, path: path))
    }

    /// The value as an array.
    /// - Returns: An unkeyed container.
    /// - Throws: `DecodingError.typeMismatch` (or `valueNotFound` for null) if the value is not an array.
    package func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let node = context.tape[index]
        guard node.kind == .array else {
            throw JSONDecodingContext.error(.mismatch(found: node), expected: [Any].self, at: path.keys)
        }
        return LitUnkeyedDecodingContainer(context: context, array: index, path: path)
    }

    /// The value itself.
    /// - Returns: This decoder.
    package func singleValueContainer() throws -> any SingleValueDecodingContainer {
        self
    }

    /// Whether the value is null.
    /// - Returns: `true` for null.
    package func decodeNil() -> Bool {
        context.tape[index].kind == .null
    }

    /// Decodes the value.
    /// - Parameter type: The type.
    /// - Returns: The value.
    @inline(__always)
    private func value<T: Decodable>(_ type: T.Type) throws -> T {
        try context.decode(T.self, at: index, path: { path })
    }

    /// Decodes the value as `Bool`.
    package func decode(_ type: Bool.Type) throws -> Bool { try value(type) }
    /// Decodes the value as `String`.
    package func decode(_ type: String.Type) throws -> String { try value(type) }
    /// Decodes the value as `Double`.
    package func decode(_ type: Double.Type) throws -> Double { try value(type) }
    /// Decodes the value as `Float`.
    package func decode(_ type: Float.Type) throws -> Float { try value(type) }
    /// Decodes the value as `Int`.
    package func decode(_ type: Int.Type) throws -> Int { try value(type) }
    /// Decodes the value as `Int8`.
    package func decode(_ type: Int8.Type) throws -> Int8 { try value(type) }
    /// Decodes the value as `Int16`.
    package func decode(_ type: Int16.Type) throws -> Int16 { try value(type) }
    /// Decodes the value as `Int32`.
    package func decode(_ type: Int32.Type) throws -> Int32 { try value(type) }
    /// Decodes the value as `Int64`.
    package func decode(_ type: Int64.Type) throws -> Int64 { try value(type) }
    /// Decodes the value as `Int128`.
    package func decode(_ type: Int128.Type) throws -> Int128 { try value(type) }
    /// Decodes the value as `UInt`.
    package func decode(_ type: UInt.Type) throws -> UInt { try value(type) }
    /// Decodes the value as `UInt8`.
    package func decode(_ type: UInt8.Type) throws -> UInt8 { try value(type) }
    /// Decodes the value as `UInt16`.
    package func decode(_ type: UInt16.Type) throws -> UInt16 { try value(type) }
    /// Decodes the value as `UInt32`.
    package func decode(_ type: UInt32.Type) throws -> UInt32 { try value(type) }
    /// Decodes the value as `UInt64`.
    package func decode(_ type: UInt64.Type) throws -> UInt64 { try value(type) }
    /// Decodes the value as `UInt128`.
    package func decode(_ type: UInt128.Type) throws -> UInt128 { try value(type) }
    /// Decodes the value as any `Decodable`.
    package func decode<T: Decodable>(_ type: T.Type) throws -> T { try value(type) }
}
