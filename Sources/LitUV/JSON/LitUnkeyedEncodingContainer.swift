// The unkeyed encoding container: writes a JSON array's elements as they are encoded.

/// Writes the elements of a JSON array.
struct LitUnkeyedEncodingContainer: UnkeyedEncodingContainer {
    /// The output.
    let state: UnsafeMutablePointer<JSONEncodingState>
    /// The array's container id.
    let frame: Int
    /// The coding path of the array.
    let path: JSONCodingPath

    /// The coding path of the array.
    var codingPath: [any CodingKey] { path.keys }

    /// The number of elements written so far.
    var count: Int {
        state.pointee.count(of: frame)
    }

    /// Writes the comma before an element.
    /// - Returns: The element's position.
    /// - Throws: An encoding error if the array was already closed.
    @inline(__always)
    private func writeComma() throws -> Int {
        guard state.pointee.enter(frame) else {
            throw state.pointee.closedContainer(path)
        }
        return state.pointee.writeComma()
    }

    /// Writes an element.
    /// - Parameter value: The value.
    @inline(__always)
    private func element<T: Encodable>(_ value: T) throws {
        let index = try writeComma()
        try JSONEncodingState.encodeMember(value, path: { path.appending(index: index) }, state: state)
    }

    /// Writes null.
    func encodeNil() throws {
        _ = try writeComma()
        JSONWriter.writeNull(into: &state.pointee.buffer)
    }

    /// Writes an element of type `Bool`.
    func encode(_ value: Bool) throws { try element(value) }
    /// Writes an element of type `String`.
    func encode(_ value: String) throws { try element(value) }
    /// Writes an element of type `Double`.
    func encode(_ value: Double) throws { try element(value) }
    /// Writes an element of type `Float`.
    func encode(_ value: Float) throws { try element(value) }
    /// Writes an element of type `Int`.
    func encode(_ value: Int) throws { try element(value) }
    /// Writes an element of type `Int8`.
    func encode(_ value: Int8) throws { try element(value) }
    /// Writes an element of type `Int16`.
    func encode(_ value: Int16) throws { try element(value) }
    /// Writes an element of type `Int32`.
    func encode(_ value: Int32) throws { try element(value) }
    /// Writes an element of type `Int64`.
    func encode(_ value: Int64) throws { try element(value) }
    /// Writes an element of type `Int128`.
    func encode(_ value: Int128) throws { try element(value) }
    /// Writes an element of type `UInt`.
    func encode(_ value: UInt) throws { try element(value) }
    /// Writes an element of type `UInt8`.
    func encode(_ value: UInt8) throws { try element(value) }
    /// Writes an element of type `UInt16`.
    func encode(_ value: UInt16) throws { try element(value) }
    /// Writes an element of type `UInt32`.
    func encode(_ value: UInt32) throws { try element(value) }
    /// Writes an element of type `UInt64`.
    func encode(_ value: UInt64) throws { try element(value) }
    /// Writes an element of type `UInt128`.
    func encode(_ value: UInt128) throws { try element(value) }
    /// Writes any `Encodable` element.
    func encode<T: Encodable>(_ value: T) throws { try element(value) }

    /// Writes an element that is an object and returns its container.
    /// - Parameter keyType: The nested keys.
    /// - Returns: The nested container.
    func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let index = count
        let nested = state.pointee.openNested(in: frame, key: nil, isObject: true, path: path)
        return KeyedEncodingContainer(
            LitKeyedEncodingContainer<NestedKey>(state: state, frame: nested, path: path.appending(index: index))
        )
    }

    /// Writes an element that is an array and returns its container.
    /// - Returns: The nested container.
    func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let index = count
        let nested = state.pointee.openNested(in: frame, key: nil, isObject: false, path: path)
        return LitUnkeyedEncodingContainer(state: state, frame: nested, path: path.appending(index: index))
    }

    /// An encoder for the next element; use it before writing other elements.
    /// - Returns: The encoder.
    func superEncoder() -> any Encoder {
        guard state.pointee.enter(frame) else {
            state.pointee.record(state.pointee.closedContainer(path))
            return LitJSONEncoder(state: state, slot: -2, path: path.appending(index: count))
        }
        let index = state.pointee.writeComma()
        return LitJSONEncoder(state: state, slot: state.pointee.newPendingSlot(), path: path.appending(index: index))
    }
}
