// The keyed encoding container: writes a JSON object's members as they are encoded.

/// Writes the members of a JSON object in the order they are encoded.
struct LitKeyedEncodingContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    /// The output.
    let state: UnsafeMutablePointer<JSONEncodingState>
    /// The object's container id.
    let frame: Int
    /// The coding path of the object.
    let path: JSONCodingPath

    /// The coding path of the object.
    var codingPath: [any CodingKey] { path.keys }

    /// Writes `,"key":`.
    /// - Parameter key: The key.
    /// - Throws: An encoding error if the object was already closed.
    @inline(__always)
    private func writeKey(_ key: Key) throws {
        guard state.pointee.enter(frame) else {
            throw state.pointee.closedContainer(path)
        }
        state.pointee.writeKey(key.stringValue)
    }

    /// Writes a member.
    /// - Parameters:
    ///   - value: The value.
    ///   - key: The key.
    @inline(__always)
    private func member<T: Encodable>(_ value: T, _ key: Key) throws {
        try writeKey(key)
        try JSONEncodingState.encodeMember(value, path: { path.appending(key) }, state: state)
    }

    /// Writes the member `key` as null.
    func encodeNil(forKey key: Key) throws {
        try writeKey(key)
        JSONWriter.writeNull(into: &state.pointee.buffer)
    }

    /// Writes the member `key` with a value of type `Bool`.
    func encode(_ value: Bool, forKey key: Key) throws { try member(value, key) }
    /// Writes the member `key` with a value of type `String`.
    func encode(_ value: String, forKey key: Key) throws { try member(value, key) }
    /// Writes the member `key` with a value of type `Double`.
    func encode(_ value: Double, forKey key: Key) throws { try member(value, key) }
    /// Writes the member `key` with a value of type `Float`.
    func encode(_ value: Float, forKey key: Key) throws { try member(value, key) }
    /// Writes the member `key` with a value of type `Int`.
    func encode(_ value: Int, forKey key: Key) throws { try member(value, key) }
    /// Writes the member `key` with a value of type `Int8`.
    func encode(_ value: Int8, forKey key: Key) throws { try member(value, key) }
    /// Writes the member `key` with a value of type `Int16`.
    func encode(_ value: Int16, forKey key: Key) throws { try member(value, key) }
    /// Writes the member `key` with a value of type `Int32`.
    func encode(_ value: Int32, forKey key: Key) throws { try member(value, key) }
    /// Writes the member `key` with a value of type `Int64`.
    func encode(_ value: Int64, forKey key: Key) throws { try member(value, key) }
    /// Writes the member `key` with a value of type `Int128`.
    func encode(_ value: Int128, forKey key: Key) throws { try member(value, key) }
    /// Writes the member `key` with a value of type `UInt`.
    func encode(_ value: UInt, forKey key: Key) throws { try member(value, key) }
    /// Writes the member `key` with a value of type `UInt8`.
    func encode(_ value: UInt8, forKey key: Key) throws { try member(value, key) }
    /// Writes the member `key` with a value of type `UInt16`.
    func encode(_ value: UInt16, forKey key: Key) throws { try member(value, key) }
    /// Writes the member `key` with a value of type `UInt32`.
    func encode(_ value: UInt32, forKey key: Key) throws { try member(value, key) }
    /// Writes the member `key` with a value of type `UInt64`.
    func encode(_ value: UInt64, forKey key: Key) throws { try member(value, key) }
    /// Writes the member `key` with a value of type `UInt128`.
    func encode(_ value: UInt128, forKey key: Key) throws { try member(value, key) }
    /// Writes the member `key` with any `Encodable` value.
    func encode<T: Encodable>(_ value: T, forKey key: Key) throws { try member(value, key) }

    /// Writes a member that is an object and returns its container.
    /// - Parameters:
    ///   - keyType: The nested keys.
    ///   - key: The key.
    /// - Returns: The nested container.
    func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type,
        forKey key: Key
    )
        -> KeyedEncodingContainer<NestedKey>
    {
        let nested = state.pointee.openNested(in: frame, key: key.stringValue, isObject: true, path: path)
        return KeyedEncodingContainer(
            LitKeyedEncodingContainer<NestedKey>(state: state, frame: nested, path: path.appending(key))
        )
    }

    /// Writes a member that is an array and returns its container.
    /// - Parameter key: The key.
    /// - Returns: The nested container.
    func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let nested = state.pointee.openNested(in: frame, key: key.stringValue, isObject: false, path: path)
        return LitUnkeyedEncodingContainer(state: state, frame: nested, path: path.appending(key))
    }

    /// An encoder for the member `super`; use it before writing other members.
    /// - Returns: The encoder.
    func superEncoder() -> any Encoder {
        superEncoder(for: JSONStringKey.super)
    }

    /// An encoder for the member `key`; use it before writing other members.
    /// - Parameter key: The key.
    /// - Returns: The encoder.
    func superEncoder(forKey key: Key) -> any Encoder {
        superEncoder(for: key)
    }

    /// Writes a key and hands out an encoder for its value.
    /// - Parameter key: The key.
    /// - Returns: The encoder.
    private func superEncoder(for key: any CodingKey) -> any Encoder {
        guard state.pointee.enter(frame) else {
            state.pointee.record(state.pointee.closedContainer(path))
            return LitJSONEncoder(state: state, slot: -2, path: path.appending(key))
        }
        state.pointee.writeKey(key.stringValue)
        return LitJSONEncoder(state: state, slot: state.pointee.newPendingSlot(), path: path.appending(key))
    }
}
