// The keyed decoding container (a JSON object seen through `CodingKey`s) and the key lookup table it builds for
// objects with many members.

/// A lookup table for objects with many members: open addressing over the members' key bytes, built once
/// per container, so that decoding every member is linear rather than quadratic.
final class JSONKeyTable {
    /// Tape index of a key node plus one; 0 for an empty slot.
    private let slots: [Int32]
    /// `slots.count - 1` (a power of two minus one).
    private let mask: Int

    /// Builds the table for an object; for a repeated key the last member wins.
    /// - Parameters:
    ///   - context: The document.
    ///   - object: The tape index of the object.
    init(context: JSONDecodingContext, object: Int) {
        let count = Int(context.tape[object].length)
        var size = 16
        while size < count * 2 {
            size <<= 1
        }
        var slots = [Int32](repeating: 0, count: size)
        let mask = size - 1
        var member = object + 1
        let end = Int(context.tape[object].next)
        while member < end {
            let keyNode = context.tape[member]
            JSONKeyTable.withKeyBytes(context, keyNode) { bytes in
                var slot = JSONKeyTable.hash(bytes) & mask
                while slots[slot] != 0 {
                    if context.keyMatches(context.tape[Int(slots[slot]) - 1], bytes) {
                        break
                    }
                    slot = (slot + 1) & mask
                }
                slots[slot] = Int32(member + 1)
            }
            member = Int(context.tape[member + 1].next)
        }
        self.slots = slots
        self.mask = mask
    }

    /// The tape index of the key node for `key`, if present.
    /// - Parameters:
    ///   - key: The key's UTF-8 bytes.
    ///   - context: The document.
    /// - Returns: The key node's tape index.
    func find(_ key: UnsafeBufferPointer<UInt8>, in context: JSONDecodingContext) -> Int? {
        var slot = JSONKeyTable.hash(key) & mask
        while slots[slot] != 0 {
            let member = Int(slots[slot]) - 1
            if context.keyMatches(context.tape[member], key) {
                return member
            }
            slot = (slot + 1) & mask
        }
        return nil
    }

    /// Calls `body` with the unescaped UTF-8 bytes of a key node.
    /// - Parameters:
    ///   - context: The document.
    ///   - node: A string node.
    ///   - body: What to do with the bytes.
    static func withKeyBytes(
        _ context: JSONDecodingContext,
        _ node: JSONNode,
        _ body: (UnsafeBufferPointer<UInt8>) -> Void
    ) {
        let raw = context.text(of: node)
        if !node.flag {
            body(raw)
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: raw.count) { scratch in
            let count = JSONDecodingContext.unescape(raw, into: scratch.baseAddress!)
            body(UnsafeBufferPointer(rebasing: scratch[..<count]))
        }
    }

    /// FNV-1a over the bytes.
    /// - Parameter bytes: The bytes.
    /// - Returns: The hash.
    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        return Int(truncatingIfNeeded: hash ^ (hash >> 32))
    }
}

/// A JSON object seen through `Key`s. Keys are compared to the members' raw bytes; for a repeated key the
/// last member wins (as in Python).
struct LitKeyedDecodingContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    /// The document.
    let context: JSONDecodingContext
    /// The tape index of the object.
    let object: Int
    /// The coding path of the object.
    let path: JSONCodingPath
    /// A lookup table, for objects with many members.
    private let table: JSONKeyTable?

    /// Objects with more members than this get a lookup table.
    private static var tableThreshold: Int { 12 }

    /// Creates a container.
    /// - Parameters:
    ///   - context: The document.
    ///   - object: The tape index of the object.
    ///   - path: The coding path of the object.
    init(context: JSONDecodingContext, object: Int, path: JSONCodingPath) {
        self.context = context
        self.object = object
        self.path = path
        let count = Int(context.tape[object].length)
        table = count > Self.tableThreshold ? JSONKeyTable(context: context, object: object) : nil
    }

    /// The coding path of the object.
    var codingPath: [any CodingKey] { path.keys }

    /// The keys of the members that `Key` can represent, in document order, each once.
    var allKeys: [Key] {
        var keys: [Key] = []
        let tape = context.tape
        keys.reserveCapacity(Int(tape[object].length))
        var member = object + 1
        let end = Int(tape[object].next)
        while member < end {
            if isLastOccurrence(member), let key = Key(stringValue: context.stringValue(of: tape[member])) {
                keys.append(key)
            }
            member = Int(tape[member + 1].next)
        }
        return keys
    }

    /// Whether no later member has the same key as the member at `member`.
    /// - Parameter member: The tape index of a key node.
    /// - Returns: `true` if this member is the one a lookup finds.
    private func isLastOccurrence(_ member: Int) -> Bool {
        var result = true
        JSONKeyTable.withKeyBytes(context, context.tape[member]) { bytes in
            result = findKeyNode(bytes) == member
        }
        return result
    }

    /// The tape index of the key node for the key with these bytes (the last one if repeated).
    /// - Parameter key: The key's UTF-8 bytes.
    /// - Returns: The tape index of the key node.
    @inline(__always)
    private func findKeyNode(_ key: UnsafeBufferPointer<UInt8>) -> Int? {
        if let table {
            return table.find(key, in: context)
        }
        let tape = context.tape
        var member = object + 1
        let end = Int(tape[object].next)
        var found: Int?
        while member < end {
            if context.keyMatches(tape[member], key) {
                found = member
            }
            member = Int(tape[member + 1].next)
        }
        return found
    }

    /// The tape index of the value for `key`.
    /// - Parameter key: The key.
    /// - Returns: The value's tape index, or `nil` if the object has no such member.
    @inline(__always)
    private func find(_ key: Key) -> Int? {
        var name = key.stringValue
        return name.withUTF8 { findKeyNode($0) }.map { $0 + 1 }
    }

    /// The tape index of the value for `key`.
    /// - Parameter key: The key.
    /// - Returns: The value's tape index.
    /// - Throws: `DecodingError.keyNotFound` carrying `Missing field "<path>"`.
    @inline(__always)
    private func require(_ key: Key) throws -> Int {
        guard let index = find(key) else {
            throw JSONDecodingContext.keyNotFound(key, in: path)
        }
        return index
    }

    /// Whether the object has a member for `key`.
    /// - Parameter key: The key.
    /// - Returns: `true` if present (even if null).
    func contains(_ key: Key) -> Bool {
        find(key) != nil
    }

    /// Whether the member for `key` is null.
    /// - Parameter key: The key.
    /// - Returns: `true` for null.
    /// - Throws: `DecodingError.keyNotFound` if there is no such member.
    func decodeNil(forKey key: Key) throws -> Bool {
        context.tape[try require(key)].kind == .null
    }

    /// Decodes the member for `key`.
    /// - Parameters:
    ///   - type: The type.
    ///   - key: The key.
    /// - Returns: The value.
    @inline(__always)
    private func value<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T {
        try context.decode(T.self, at: try require(key), path: { path.appending(key) })
    }

    /// Decodes the member for `key`, or `nil` if it is absent or null.
    /// - Parameters:
    ///   - type: The type.
    ///   - key: The key.
    /// - Returns: The value or `nil`.
    @inline(__always)
    private func optionalValue<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T? {
        guard let index = find(key), context.tape[index].kind != .null else {
            return nil
        }
        return try context.decode(T.self, at: index, path: { path.appending(key) })
    }

    /// Decodes the member for `key` as `Bool`.
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try value(type, key) }
    /// Decodes the member for `key` as `String`.
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try value(type, key) }
    /// Decodes the member for `key` as `Double`.
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try value(type, key) }
    /// Decodes the member for `key` as `Float`.
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try value(type, key) }
    /// Decodes the member for `key` as `Int`.
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try value(type, key) }
    /// Decodes the member for `key` as `Int8`.
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try value(type, key) }
    /// Decodes the member for `key` as `Int16`.
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try value(type, key) }
    /// Decodes the member for `key` as `Int32`.
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try value(type, key) }
    /// Decodes the member for `key` as `Int64`.
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try value(type, key) }
    /// Decodes the member for `key` as `Int128`.
    func decode(_ type: Int128.Type, forKey key: Key) throws -> Int128 { try value(type, key) }
    /// Decodes the member for `key` as `UInt`.
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try value(type, key) }
    /// Decodes the member for `key` as `UInt8`.
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try value(type, key) }
    /// Decodes the member for `key` as `UInt16`.
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try value(type, key) }
    /// Decodes the member for `key` as `UInt32`.
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try value(type, key) }
    /// Decodes the member for `key` as `UInt64`.
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try value(type, key) }
    /// Decodes the member for `key` as `UInt128`.
    func decode(_ type: UInt128.Type, forKey key: Key) throws -> UInt128 { try value(type, key) }
    /// Decodes the member for `key` as any `Decodable`.
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try value(type, key) }

    /// Decodes the member for `key` as `Bool`, or `nil` if it is absent or null.
    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try optionalValue(type, key) }
    /// Decodes the member for `key` as `String`, or `nil` if it is absent or null.
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try optionalValue(type, key) }
    /// Decodes the member for `key` as `Double`, or `nil` if it is absent or null.
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try optionalValue(type, key) }
    /// Decodes the member for `key` as `Float`, or `nil` if it is absent or null.
    func decodeIfPresent(_ type: Float.Type, forKey key: Key) throws -> Float? { try optionalValue(type, key) }
    /// Decodes the member for `key` as `Int`, or `nil` if it is absent or null.
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try optionalValue(type, key) }
    /// Decodes the member for `key` as `Int8`, or `nil` if it is absent or null.
    func decodeIfPresent(_ type: Int8.Type, forKey key: Key) throws -> Int8? { try optionalValue(type, key) }
    /// Decodes the member for `key` as `Int16`, or `nil` if it is absent or null.
    func decodeIfPresent(_ type: Int16.Type, forKey key: Key) throws -> Int16? { try optionalValue(type, key) }
    /// Decodes the member for `key` as `Int32`, or `nil` if it is absent or null.
    func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? { try optionalValue(type, key) }
    /// Decodes the member for `key` as `Int64`, or `nil` if it is absent or null.
    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try optionalValue(type, key) }
    /// Decodes the member for `key` as `Int128`, or `nil` if it is absent or null.
    func decodeIfPresent(_ type: Int128.Type, forKey key: Key) throws -> Int128? { try optionalValue(type, key) }
    /// Decodes the member for `key` as `UInt`, or `nil` if it is absent or null.
    func decodeIfPresent(_ type: UInt.Type, forKey key: Key) throws -> UInt? { try optionalValue(type, key) }
    /// Decodes the member for `key` as `UInt8`, or `nil` if it is absent or null.
    func decodeIfPresent(_ type: UInt8.Type, forKey key: Key) throws -> UInt8? { try optionalValue(type, key) }
    /// Decodes the member for `key` as `UInt16`, or `nil` if it is absent or null.
    func decodeIfPresent(_ type: UInt16.Type, forKey key: Key) throws -> UInt16? { try optionalValue(type, key) }
    /// Decodes the member for `key` as `UInt32`, or `nil` if it is absent or null.
    func decodeIfPresent(_ type: UInt32.Type, forKey key: Key) throws -> UInt32? { try optionalValue(type, key) }
    /// Decodes the member for `key` as `UInt64`, or `nil` if it is absent or null.
    func decodeIfPresent(_ type: UInt64.Type, forKey key: Key) throws -> UInt64? { try optionalValue(type, key) }
    /// Decodes the member for `key` as `UInt128`, or `nil` if it is absent or null.
    func decodeIfPresent(_ type: UInt128.Type, forKey key: Key) throws -> UInt128? { try optionalValue(type, key) }
    /// Decodes the member for `key` as any `Decodable`, or `nil` if it is absent or null.
    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        try optionalValue(type, key)
    }

    /// The member for `key` as an object.
    /// - Parameters:
    ///   - type: The nested keys.
    ///   - key: The key.
    /// - Returns: A keyed container.
    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type,
        forKey key: Key
    ) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try LitJSONDecoder(context: context, index: try require(key), path: path.appending(key))
            .container(keyedBy: NestedKey.self)
    }

    /// The member for `key` as an array.
    /// - Parameter key: The key.
    /// - Returns: An unkeyed container.
    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try LitJSONDecoder(context: context, index: try require(key), path: path.appending(key)).unkeyedContainer()
    }

    /// A decoder for the member `super` (null if absent).
    /// - Returns: The decoder.
    func superDecoder() throws -> any Decoder {
        let key = JSONStringKey.super
        var name = key.stringValue
        let index = name.withUTF8 { findKeyNode($0) }.map { $0 + 1 } ?? context.nullIndex
        return LitJSONDecoder(context: context, index: index, path: path.appending(key))
    }

    /// A decoder for the member for `key` (null if absent).
    /// - Parameter key: The key.
    /// - Returns: The decoder.
    func superDecoder(forKey key: Key) throws -> any Decoder {
        LitJSONDecoder(context: context, index: find(key) ?? context.nullIndex, path: path.appending(key))
    }
}
