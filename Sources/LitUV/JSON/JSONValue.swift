/// Any JSON value, for the free-form parts of a request: a tool's `parameters` schema, a `json_schema` response
/// format, a `file` content part.
///
/// Numbers are kept as `Double` (JSON Schema documents use small integers, which `Double` holds exactly).
public enum JSONValue: Sendable, Hashable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number.
    case number(Double)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object (member order is not kept).
    case object([String: JSONValue])

    /// Decodes a JSON document.
    /// - Parameter bytes: UTF-8 JSON text.
    /// - Throws: `JSONError` for malformed JSON.
    package init(parsing bytes: [UInt8]) throws(JSONError) {
        self = try LitJSON.decode(JSONValue.self, from: bytes)
    }

    /// The value at `key` when this is an object.
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// The string, when this is a string.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The members, when this is an object.
    public var objectValue: [String: JSONValue]? {
        if case .object(let members) = self { return members }
        return nil
    }
}

extension JSONValue: Codable {
    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        // LitUV's own decoder says which kind the value is; other decoders are probed (an error per miss).
        if let decoder = decoder as? LitJSONDecoder {
            switch decoder.jsonKind {
            case .null: self = .null
            case .false: self = .bool(false)
            case .true: self = .bool(true)
            case .number: self = .number(try decoder.decode(Double.self))
            case .string: self = .string(try decoder.decode(String.self))
            case .array: self = try JSONValue.array(from: decoder)
            case .object: self = try JSONValue.object(from: decoder)
            }
            return
        }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() {
            self = .null
        } else if let value = try? single.decode(String.self) {
            self = .string(value)
        } else if let value = try? single.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? single.decode(Double.self) {
            self = .number(value)
        } else if (try? decoder.unkeyedContainer()) != nil {
            self = try JSONValue.array(from: decoder)
        } else {
            self = try JSONValue.object(from: decoder)
        }
    }

    private static func array(from decoder: any Decoder) throws -> JSONValue {
        var array = try decoder.unkeyedContainer()
        var elements: [JSONValue] = []
        if let count = array.count { elements.reserveCapacity(count) }
        while !array.isAtEnd { elements.append(try array.decode(JSONValue.self)) }
        return .array(elements)
    }

    private static func object(from decoder: any Decoder) throws -> JSONValue {
        let object = try decoder.container(keyedBy: AnyKey.self)
        var members: [String: JSONValue] = [:]
        for key in object.allKeys {
            members[key.stringValue] = try object.decode(JSONValue.self, forKey: key)
        }
        return .object(members)
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var single = encoder.singleValueContainer()
            try single.encodeNil()
        case .bool(let value):
            var single = encoder.singleValueContainer()
            try single.encode(value)
        case .number(let value):
            var single = encoder.singleValueContainer()
            try single.encode(value)
        case .string(let value):
            var single = encoder.singleValueContainer()
            try single.encode(value)
        case .array(let elements):
            var array = encoder.unkeyedContainer()
            for element in elements { try array.encode(element) }
        case .object(let members):
            var object = encoder.container(keyedBy: AnyKey.self)
            for key in members.keys.sorted() {
                try object.encode(members[key]!, forKey: AnyKey(stringValue: key))
            }
        }
    }
}
