// The `Encoder` handed to `encode(to:)`: one value slot of the output, also its own single-value container.

/// The `Encoder` handed to `encode(to:)`: one value slot of the output. It is also its own single-value
/// container.
struct LitJSONEncoder: Encoder, SingleValueEncodingContainer {
    /// The output.
    let state: UnsafeMutablePointer<JSONEncodingState>
    /// Which value this encoder writes.
    let slot: Int
    /// The coding path of the value.
    let path: JSONCodingPath

    /// The coding path of the value.
    var codingPath: [any CodingKey] { path.keys }

    /// Always empty.
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    /// The value as an object.
    /// - Parameter type: The keys.
    /// - Returns: A keyed container (the same object if asked again).
    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let frame = state.pointee.openContainer(slot: slot, isObject: true, path: path)
        return KeyedEncodingContainer(LitKeyedEncodingContainer<Key>(state: state, frame: frame, path: path))
    }

    /// The value as an array.
    /// - Returns: An unkeyed container (the same array if asked again).
    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let frame = state.pointee.openContainer(slot: slot, isObject: false, path: path)
        return LitUnkeyedEncodingContainer(state: state, frame: frame, path: path)
    }

    /// The value itself.
    /// - Returns: This encoder.
    func singleValueContainer() -> any SingleValueEncodingContainer {
        self
    }

    /// Writes null.
    func encodeNil() throws {
        guard state.pointee.pendingSlot == slot else {
            throw state.pointee.misuse("a value was already encoded here", path: path)
        }
        state.pointee.pendingSlot = -1
        JSONWriter.writeNull(into: &state.pointee.buffer)
    }

    /// Writes `Bool`.
    func encode(_ value: Bool) throws {
        try JSONEncodingState.encodeInSlot(value, slot: slot, path: path, state: state)
    }
    /// Writes `String`.
    func encode(_ value: String) throws {
        try JSONEncodingState.encodeInSlot(value, slot: slot, path: path, state: state)
    }
    /// Writes `Double`.
    func encode(_ value: Double) throws {
        try JSONEncodingState.encodeInSlot(value, slot: slot, path: path, state: state)
    }
    /// Writes `Float`.
    func encode(_ value: Float) throws {
        try JSONEncodingState.encodeInSlot(value, slot: slot, path: path, state: state)
    }
    /// Writes `Int`.
    func encode(_ value: Int) throws { try JSONEncodingState.encodeInSlot(value, slot: slot, path: path, state: state) }
    /// Writes `Int8`.
    func encode(_ value: Int8) throws {
        try JSONEncodingState.encodeInSlot(value, slot: slot, path: path, state: state)
    }
    /// Writes `Int16`.
    func encode(_ value: Int16) throws {
        try JSONEncodingState.encodeInSlot(value, slot: slot, path: path, state: state)
    }
    /// Writes `Int32`.
    func encode(_ value: Int32) throws {
        try JSONEncodingState.encodeInSlot(value, slot: slot, path: path, state: state)
    }
    /// Writes `Int64`.
    func encode(_ value: Int64) throws {
        try JSONEncodingState.encodeInSlot(value, slot: slot, path: path, state: state)
    }
    /// Writes `Int128`.
    func encode(_ value: Int128) throws {
        try JSONEncodingState.encodeInSlot(value, slot: slot, path: path, state: state)
    }
    /// Writes `UInt`.
    func encode(_ value: UInt) throws {
        try JSONEncodingState.encodeInSlot(value, slot: slot, path: path, state: state)
    }
    /// Writes `UInt8`.
    func encode(_ value: UInt8) throws {
        try JSONEncodingState.encodeInSlot(value, slot: slot, path: path, state: state)
    }
    /// Writes `UInt16`.
    func encode(_ value: UInt16) throws {
        try JSONEncodingState.encodeInSlot(value, slot: slot, path: path, state: state)
    }
    /// Writes `UInt32`.
    func encode(_ value: UInt32) throws {
        try JSONEncodingState.encodeInSlot(value, slot: slot, path: path, state: state)
    }
    /// Writes `UInt64`.
    func encode(_ value: UInt64) throws {
        try JSONEncodingState.encodeInSlot(value, slot: slot, path: path, state: state)
    }
    /// Writes `UInt128`.
    func encode(_ value: UInt128) throws {
        try JSONEncodingState.encodeInSlot(value, slot: slot, path: path, state: state)
    }
    /// Writes any `Encodable`.
    func encode<T: Encodable>(_ value: T) throws {
        try JSONEncodingState.encodeInSlot(value, slot: slot, path: path, state: state)
    }
}
