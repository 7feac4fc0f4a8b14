/// Reads typed fields out of a decoded JSON object, naming the exact parameter path (`messages[2].content`) in the
/// ``OpenAIError`` it throws. `null` counts as absent, as OpenAI treats it for optional parameters.
struct JSONObjectReader {
    let members: [String: JSONValue]
    /// The path of this object in the request, empty for the top level.
    let path: String

    /// Wraps `value`, which must be an object.
    /// - Throws: ``OpenAIError`` naming `path` when `value` is not an object.
    init(_ value: JSONValue, path: String, what: String = "an object") throws(OpenAIError) {
        guard case .object(let members) = value else {
            if path.isEmpty {
                throw OpenAIError.invalidRequest("The request body must be a JSON object.")
            }
            throw OpenAIError.invalidType(path, expected: what)
        }
        self.members = members
        self.path = path
    }

    /// The full parameter name of `key`.
    func param(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The value of `key`, nil when absent or null.
    func value(_ key: String) -> JSONValue? {
        guard let value = members[key], value != .null else { return nil }
        return value
    }

    func required(_ key: String) throws(OpenAIError) -> JSONValue {
        guard let value = value(key) else { throw OpenAIError.missing(param(key)) }
        return value
    }

    func string(_ key: String) throws(OpenAIError) -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let text) = value else { throw OpenAIError.invalidType(param(key), expected: "a string") }
        return text
    }

    func requiredString(_ key: String) throws(OpenAIError) -> String {
        guard let text = try string(key) else { throw OpenAIError.missing(param(key)) }
        return text
    }

    func bool(_ key: String) throws(OpenAIError) -> Bool? {
        guard let value = value(key) else { return nil }
        guard case .bool(let flag) = value else { throw OpenAIError.invalidType(param(key), expected: "a boolean") }
        return flag
    }

    /// A number within `range`.
    func double(_ key: String, in range: ClosedRange<Double>) throws(OpenAIError) -> Double? {
        guard let value = value(key) else { return nil }
        guard case .number(let number) = value, number.isFinite else {
            throw OpenAIError.invalidType(param(key), expected: "a number")
        }
        guard range.contains(number) else {
            throw OpenAIError.invalidValue(
                param(key),
                "\(JSONObjectReader.show(number)) is out of range; expected a number from "
                    + "\(JSONObjectReader.show(range.lowerBound)) to \(JSONObjectReader.show(range.upperBound))."
            )
        }
        return number
    }

    /// An integer of at least `minimum`.
    func int(_ key: String, minimum: Int? = nil) throws(OpenAIError) -> Int? {
        guard let value = value(key) else { return nil }
        guard case .number(let number) = value, number == number.rounded(), abs(number) < 9.0e15 else {
            throw OpenAIError.invalidType(param(key), expected: "an integer")
        }
        let integer = Int(number)
        if let minimum, integer < minimum {
            throw OpenAIError.invalidValue(param(key), "\(integer) is less than the minimum of \(minimum).")
        }
        return integer
    }

    func array(_ key: String) throws(OpenAIError) -> [JSONValue]? {
        guard let value = value(key) else { return nil }
        guard case .array(let elements) = value else { throw OpenAIError.invalidType(param(key), expected: "an array") }
        return elements
    }

    func object(_ key: String) throws(OpenAIError) -> JSONObjectReader? {
        guard let value = value(key) else { return nil }
        return try JSONObjectReader(value, path: param(key))
    }

    /// A string that must be one of `allowed`.
    func choice(_ key: String, _ allowed: [String]) throws(OpenAIError) -> String? {
        guard let text = try string(key) else { return nil }
        guard allowed.contains(text) else {
            throw OpenAIError.invalidValue(
                param(key),
                "'\(text)'. Supported values are: \(JSONObjectReader.list(allowed))."
            )
        }
        return text
    }

    /// `1`, `0.5`, `2`: numbers as a person writes them.
    static func show(_ number: Double) -> String {
        number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
    }

    /// `'a', 'b', and 'c'`.
    static func list(_ values: [String]) -> String {
        let quoted = values.map { "'\($0)'" }
        guard quoted.count > 1 else { return quoted.first ?? "" }
        return quoted.dropLast().joined(separator: ", ") + ", and " + quoted.last!
    }
}
