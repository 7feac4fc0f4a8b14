// `JSONEncodingState`: the output and the open containers of one `LitJSON.encode` call, and the writing of
// values into them (the `Encoder` and its containers, in their own files, drive it).
//
// Encoding straight to bytes: containers write as they are used, so the output is built in one pass with no
// intermediate tree. Keys appear in the order they are encoded and the output is compact (no spaces).
//
// Containers may be used the way `Codable` code uses them in practice: nested containers are closed
// automatically when their parent writes again or when the value that opened them is done; asking the same
// encoder for its keyed (or unkeyed) container again continues the same object (class inheritance); a value
// that encodes nothing becomes `{}`. Writing into a container after it was closed (interleaving two sibling
// containers) cannot be done in one pass and fails with an encoding error.

// MARK: - State

/// The output and the open containers of one `LitJSON.encode` call.
///
/// It lives on the stack of `LitJSON.encode`; encoders and containers hold a pointer to it, so they are valid
/// only during that call. Code that runs user `encode(to:)` methods is written as static functions taking the
/// pointer, so that no mutating access to the state is in progress while user code runs.
struct JSONEncodingState {
    /// An open container (object or array).
    struct Frame {
        /// Unique over the call; an inner container has a larger id than every container around it.
        var id: Int
        /// The slot (encoder) that opened it, or -1 for a nested container opened from a container.
        var owner: Int
        /// Members or elements written so far.
        var count: Int
        /// Object (`{}`) or array (`[]`).
        var isObject: Bool
    }

    /// The id used for a container that could not be opened; every write to it fails.
    static let invalidFrame = Int.max

    /// The output.
    var buffer: [UInt8] = []
    /// The open containers, outermost first (on the caller's stack until they outgrow it).
    private var frames: UnsafeMutablePointer<Frame>
    /// How many containers are open.
    private var depth = 0
    /// How many frames fit in `frames`.
    private var frameCapacity: Int
    /// Whether `frames` was allocated here.
    private var ownsFrames = false
    /// The id for the next container.
    private var nextFrameID = 0
    /// The slot whose value is due next: its key (or comma) has been written but not its value. -1 if none.
    var pendingSlot = 0
    /// The next slot id to hand out (slot 0 is the top-level value).
    private var nextSlot = 1
    /// The first misuse reported by a non-throwing method (`nestedContainer`, `superEncoder`); thrown at the end.
    var stickyError: (any Error)?

    /// Creates the state for one call.
    /// - Parameter scratch: Space for the first frames.
    private init(scratch: UnsafeMutableBufferPointer<Frame>) {
        frames = scratch.baseAddress!
        frameCapacity = scratch.count
    }

    /// Encodes a top-level value, appending to `buffer` (left unchanged on error).
    /// - Parameters:
    ///   - value: The value.
    ///   - buffer: The output.
    /// - Throws: `JSONError`.
    static func encode<T: Encodable>(_ value: T, into buffer: inout [UInt8]) throws(JSONError) {
        var scratch = JSONScratch()
        try withUnsafeMutableBytes(of: &scratch) { (raw) throws(JSONError) in
            var state = JSONEncodingState(scratch: raw.bindMemory(to: Frame.self))
            let start = buffer.count
            swap(&state.buffer, &buffer)
            defer {
                swap(&state.buffer, &buffer)
                if state.ownsFrames {
                    state.frames.deallocate()
                }
            }
            do {
                try withUnsafeMutablePointer(to: &state) { state in
                    try encodeInSlot(value, slot: 0, path: .root, state: state)
                }
                if let error = state.stickyError {
                    throw error
                }
                if state.pendingSlot == 0 {
                    throw EncodingError.invalidValue(
                        value,
                        .init(
                            codingPath: [],
                            debugDescription: "Top-level \(T.self) did not encode any values.",
                            underlyingError: JSONError(
                                kind: .encoding,
                                description: "Cannot encode \(T.self): it did not encode any value"
                            )
                        )
                    )
                }
                while state.depth > 0 {
                    state.closeTop()
                }
            } catch {
                state.buffer.removeSubrange(start...)
                throw JSONError.wrapping(error)
            }
        }
    }

    // MARK: Containers

    /// The id of the innermost open container, or -1.
    @inline(__always)
    var top: Int { depth > 0 ? frames[depth - 1].id : -1 }

    /// Closes the innermost open container (giving a due but unwritten value `{}` first).
    mutating func closeTop() {
        if pendingSlot >= 0 {
            JSONWriter.append("{}", to: &buffer)
            pendingSlot = -1
        }
        depth -= 1
        buffer.append(frames[depth].isObject ? UInt8(ascii: "}") : UInt8(ascii: "]"))
    }

    /// Closes the containers opened inside the container `frame`.
    /// - Parameter frame: A container id (or -1 for none).
    @inline(__always)
    mutating func close(above frame: Int) {
        while depth > 0 && frames[depth - 1].id > frame {
            closeTop()
        }
    }

    /// Makes `frame` the innermost open container, closing the ones opened inside it.
    /// - Parameter frame: A container id.
    /// - Returns: `false` if that container was already closed.
    @inline(__always)
    mutating func enter(_ frame: Int) -> Bool {
        if depth > 0 && frames[depth - 1].id == frame && pendingSlot < 0 {
            return true
        }
        return enterSlow(frame)
    }

    /// `enter(_:)` when other containers or a due value are in the way.
    /// - Parameter frame: A container id.
    /// - Returns: `false` if that container was already closed.
    private mutating func enterSlow(_ frame: Int) -> Bool {
        if pendingSlot >= 0 {
            // A value (from superEncoder()) that was never written.
            JSONWriter.append("{}", to: &buffer)
            pendingSlot = -1
        }
        close(above: frame)
        return top == frame
    }

    /// Opens a container for the value of `slot`, or returns the one it already opened.
    /// - Parameters:
    ///   - slot: The encoder's slot.
    ///   - isObject: Object or array.
    ///   - path: The coding path, for errors.
    /// - Returns: The container id (`invalidFrame` after recording an error).
    mutating func openContainer(slot: Int, isObject: Bool, path: JSONCodingPath) -> Int {
        if pendingSlot == slot {
            pendingSlot = -1
            return push(isObject: isObject, owner: slot)
        }
        // Asked again (e.g. by a subclass after `super.encode(to:)`): continue the container it opened.
        var level = depth - 1
        while level >= 0 {
            if frames[level].owner == slot {
                let id = frames[level].id
                if frames[level].isObject == isObject && enter(id) {
                    return id
                }
                break
            }
            level -= 1
        }
        record(misuse("a value was already encoded here", path: path))
        return Self.invalidFrame
    }

    /// Opens a container nested in `frame`, after writing `key` (objects) or a comma (arrays).
    /// - Parameters:
    ///   - frame: The enclosing container.
    ///   - key: The member's key, or `nil` for an array element.
    ///   - isObject: Object or array.
    ///   - path: The coding path of the enclosing container, for errors.
    /// - Returns: The new container id (`invalidFrame` after recording an error).
    mutating func openNested(in frame: Int, key: String?, isObject: Bool, path: JSONCodingPath) -> Int {
        guard enter(frame) else {
            record(closedContainer(path))
            return Self.invalidFrame
        }
        if let key {
            writeKey(key)
        } else {
            writeComma()
        }
        return push(isObject: isObject, owner: -1)
    }

    /// Writes the opening bracket of a new innermost container.
    /// - Parameters:
    ///   - isObject: Object or array.
    ///   - owner: The slot that opened it, or -1.
    /// - Returns: The new container id.
    private mutating func push(isObject: Bool, owner: Int) -> Int {
        if depth == frameCapacity {
            let larger = UnsafeMutablePointer<Frame>.allocate(capacity: frameCapacity * 4)
            larger.initialize(from: frames, count: depth)
            if ownsFrames {
                frames.deallocate()
            }
            frames = larger
            frameCapacity *= 4
            ownsFrames = true
        }
        let id = nextFrameID
        nextFrameID += 1
        frames[depth] = Frame(id: id, owner: owner, count: 0, isObject: isObject)
        depth += 1
        buffer.append(isObject ? UInt8(ascii: "{") : UInt8(ascii: "["))
        return id
    }

    /// Writes `,"key":` (or `"key":` for the first member) in the innermost container.
    /// - Parameter key: The key.
    @inline(__always)
    mutating func writeKey(_ key: String) {
        if frames[depth - 1].count > 0 {
            buffer.append(UInt8(ascii: ","))
        }
        frames[depth - 1].count += 1
        JSONWriter.writeString(key, into: &buffer)
        buffer.append(UInt8(ascii: ":"))
    }

    /// Writes the comma before an element of the innermost container (none before the first).
    /// - Returns: The element's position.
    @discardableResult
    @inline(__always)
    mutating func writeComma() -> Int {
        let index = frames[depth - 1].count
        if index > 0 {
            buffer.append(UInt8(ascii: ","))
        }
        frames[depth - 1].count = index + 1
        return index
    }

    /// The number of elements written to an open container.
    /// - Parameter frame: A container id.
    /// - Returns: The count, or 0 if the container is closed.
    func count(of frame: Int) -> Int {
        var level = depth - 1
        while level >= 0 {
            if frames[level].id == frame {
                return frames[level].count
            }
            level -= 1
        }
        return 0
    }

    /// Starts a new slot for a value whose key or comma was just written; the value is due.
    /// - Returns: The slot id.
    @inline(__always)
    mutating func newPendingSlot() -> Int {
        let slot = nextSlot
        nextSlot += 1
        pendingSlot = slot
        return slot
    }

    // MARK: Values

    /// Writes a value just after its key or comma.
    /// - Parameters:
    ///   - value: The value.
    ///   - path: Makes the value's coding path (only called for errors and nested encoders).
    ///   - state: The state.
    @inline(__always)
    static func encodeMember<T: Encodable>(
        _ value: T,
        path: () -> JSONCodingPath,
        state: UnsafeMutablePointer<JSONEncodingState>
    ) throws {
        if let kind = JSONScalarKind(T.self) {
            try state.pointee.writeScalar(kind, value, path: path)
            return
        }
        let slot = state.pointee.newPendingSlot()
        let outer = state.pointee.top
        try value.encode(to: LitJSONEncoder(state: state, slot: slot, path: path()))
        state.pointee.finish(slot: slot, outer: outer)
    }

    /// Completes a member's value: `{}` if it encoded nothing, and its containers closed.
    /// - Parameters:
    ///   - slot: The value's slot.
    ///   - outer: The container the value is in.
    mutating func finish(slot: Int, outer: Int) {
        if pendingSlot == slot {
            JSONWriter.append("{}", to: &buffer)  // it encoded nothing
            pendingSlot = -1
        }
        close(above: outer)
    }

    /// Writes a value into a slot that is due (single-value containers and the top level).
    /// - Parameters:
    ///   - value: The value.
    ///   - slot: The slot.
    ///   - path: The coding path of the slot.
    ///   - state: The state.
    static func encodeInSlot<T: Encodable>(
        _ value: T,
        slot: Int,
        path: JSONCodingPath,
        state: UnsafeMutablePointer<JSONEncodingState>
    ) throws {
        guard state.pointee.pendingSlot == slot else {
            throw state.pointee.misuse("a value was already encoded here", path: path)
        }
        if let kind = JSONScalarKind(T.self) {
            try state.pointee.writeScalar(kind, value, path: { path })
            state.pointee.pendingSlot = -1
            return
        }
        try value.encode(to: LitJSONEncoder(state: state, slot: slot, path: path))
    }

    /// Writes a standard scalar or an array of `Double`, `Float`, `Int` or `String`.
    /// - Parameters:
    ///   - kind: Which type `T` is.
    ///   - value: The value.
    ///   - path: Makes the value's coding path (for errors).
    mutating func writeScalar<T>(_ kind: JSONScalarKind, _ value: T, path: () -> JSONCodingPath) throws {
        switch kind {
        case .double: try writeDouble(unsafeBitCast(value, to: Double.self), path: path)
        case .string: JSONWriter.writeString(unsafeBitCast(value, to: String.self), into: &buffer)
        case .int: JSONWriter.writeInteger(unsafeBitCast(value, to: Int.self), into: &buffer)
        case .bool: JSONWriter.writeBool(unsafeBitCast(value, to: Bool.self), into: &buffer)
        case .float: try writeFloat(unsafeBitCast(value, to: Float.self), path: path)
        case .int64: JSONWriter.writeInteger(unsafeBitCast(value, to: Int64.self), into: &buffer)
        case .int32: JSONWriter.writeInteger(unsafeBitCast(value, to: Int32.self), into: &buffer)
        case .int16: JSONWriter.writeInteger(unsafeBitCast(value, to: Int16.self), into: &buffer)
        case .int8: JSONWriter.writeInteger(unsafeBitCast(value, to: Int8.self), into: &buffer)
        case .uint: JSONWriter.writeInteger(unsafeBitCast(value, to: UInt.self), into: &buffer)
        case .uint64: JSONWriter.writeInteger(unsafeBitCast(value, to: UInt64.self), into: &buffer)
        case .uint32: JSONWriter.writeInteger(unsafeBitCast(value, to: UInt32.self), into: &buffer)
        case .uint16: JSONWriter.writeInteger(unsafeBitCast(value, to: UInt16.self), into: &buffer)
        case .uint8: JSONWriter.writeInteger(unsafeBitCast(value, to: UInt8.self), into: &buffer)
        case .int128: JSONWriter.writeInteger(unsafeBitCast(value, to: Int128.self), into: &buffer)
        case .uint128: JSONWriter.writeInteger(unsafeBitCast(value, to: UInt128.self), into: &buffer)
        case .doubleArray:
            let array = unsafeBitCast(value, to: [Double].self)
            buffer.append(UInt8(ascii: "["))
            for index in array.indices {
                if index > 0 {
                    buffer.append(UInt8(ascii: ","))
                }
                try writeDouble(array[index], path: { path().appending(index: index) })
            }
            buffer.append(UInt8(ascii: "]"))
        case .floatArray:
            let array = unsafeBitCast(value, to: [Float].self)
            buffer.append(UInt8(ascii: "["))
            for index in array.indices {
                if index > 0 {
                    buffer.append(UInt8(ascii: ","))
                }
                try writeFloat(array[index], path: { path().appending(index: index) })
            }
            buffer.append(UInt8(ascii: "]"))
        case .intArray:
            let array = unsafeBitCast(value, to: [Int].self)
            buffer.append(UInt8(ascii: "["))
            for index in array.indices {
                if index > 0 {
                    buffer.append(UInt8(ascii: ","))
                }
                JSONWriter.writeInteger(array[index], into: &buffer)
            }
            buffer.append(UInt8(ascii: "]"))
        case .stringArray:
            let array = unsafeBitCast(value, to: [String].self)
            buffer.append(UInt8(ascii: "["))
            for index in array.indices {
                if index > 0 {
                    buffer.append(UInt8(ascii: ","))
                }
                JSONWriter.writeString(array[index], into: &buffer)
            }
            buffer.append(UInt8(ascii: "]"))
        }
    }

    /// Writes a `Double`.
    /// - Parameters:
    ///   - value: The value.
    ///   - path: Makes the value's coding path (for errors).
    /// - Throws: `EncodingError.invalidValue` for NaN and infinities.
    @inline(__always)
    mutating func writeDouble(_ value: Double, path: () -> JSONCodingPath) throws {
        do {
            try JSONWriter.writeDouble(value, into: &buffer)
        } catch {
            throw nonFinite(value, path: path())
        }
    }

    /// Writes a `Float`.
    /// - Parameters:
    ///   - value: The value.
    ///   - path: Makes the value's coding path (for errors).
    /// - Throws: `EncodingError.invalidValue` for NaN and infinities.
    @inline(__always)
    mutating func writeFloat(_ value: Float, path: () -> JSONCodingPath) throws {
        do {
            try JSONWriter.writeFloat(value, into: &buffer)
        } catch {
            throw nonFinite(value, path: path())
        }
    }

    // MARK: Errors

    /// Records the first misuse reported by a method that cannot throw.
    /// - Parameter error: The error.
    mutating func record(_ error: any Error) {
        if stickyError == nil {
            stickyError = error
        }
    }

    /// The error for NaN or an infinity.
    /// - Parameters:
    ///   - value: The value.
    ///   - path: Where it was.
    /// - Returns: `EncodingError.invalidValue` carrying the client-facing message.
    private func nonFinite<F: BinaryFloatingPoint>(_ value: F, path: JSONCodingPath) -> EncodingError {
        let rendered = path.rendered
        let forPath = rendered.isEmpty ? "" : " for \"\(rendered)\""
        return .invalidValue(
            value,
            .init(
                codingPath: path.keys,
                debugDescription: "Unable to encode \(F.self).\(value) directly in JSON.",
                underlyingError: JSONError(
                    kind: .encoding,
                    description: "Cannot encode \(value)\(forPath): JSON has no NaN or infinity",
                    codingPath: rendered
                )
            )
        )
    }

    /// The error for misusing the encoder.
    /// - Parameters:
    ///   - problem: What went wrong.
    ///   - path: Where.
    /// - Returns: `EncodingError.invalidValue` carrying the message.
    func misuse(_ problem: String, path: JSONCodingPath) -> EncodingError {
        let rendered = path.rendered
        let at = rendered.isEmpty ? "" : " at \"\(rendered)\""
        return .invalidValue(
            problem,
            .init(
                codingPath: path.keys,
                debugDescription: problem,
                underlyingError: JSONError(
                    kind: .encoding,
                    description: "Invalid use of the JSON encoder\(at): \(problem)",
                    codingPath: rendered
                )
            )
        )
    }

    /// The error for writing into a container after it was closed.
    /// - Parameter path: The container's coding path.
    /// - Returns: The error.
    func closedContainer(_ path: JSONCodingPath) -> EncodingError {
        misuse(
            "the container was written to after it was closed (containers must be used in nesting order)",
            path: path
        )
    }
}
