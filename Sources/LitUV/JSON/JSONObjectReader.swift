/// How a spec words the errors of a ``JSONObjectReader``: each API names a request parameter its own way
/// (`messages[2].content`) and answers in its own error shape.
package protocol JSONFieldFailure: Error {
    /// The value at `path` is not an object; `path` is empty for the request body itself.
    /// - Parameters:
    ///   - path: The parameter path, empty for the top level.
    ///   - expected: What was expected there, e.g. `an object`.
    /// - Returns: The error.
    static func notAnObject(at path: String, expected: String) -> Self
    /// A required parameter is absent (or null).
    /// - Parameter param: The full parameter name.
    /// - Returns: The error.
    static func missing(_ param: String) -> Self
    /// A parameter has the wrong JSON type.
    /// - Parameters:
    ///   - param: The full parameter name.
    ///   - expected: What was expected, e.g. `a string`.
    /// - Returns: The error.
    static func invalidType(_ param: String, expected: String) -> Self
    /// A parameter has the right type but a value that is not accepted.
    /// - Parameters:
    ///   - param: The full parameter name.
    ///   - reason: What is wrong with it.
    /// - Returns: The error.
    static func invalidValue(_ param: String, _ reason: String) -> Self
}

/// Reads typed fields out of a decoded JSON object, naming the exact parameter path (`messages[2].content`) in the
/// `Failure` it throws. `null` counts as absent, as request APIs usually treat it for optional parameters.
package struct JSONObjectReader<Failure: JSONFieldFailure> {
    /// The object's members.
    package let members: [String: JSONValue]
    /// The path of this object in the request, empty for the top level.
    package let path: String

    /// Wraps `value`, which must be an object.
    /// - Throws: `Failure.notAnObject` naming `path` when `value` is not an object.
    package init(_ value: JSONValue, path: String, what: String = "an object") throws(Failure) {
        guard case .object(let members) = value else {
            throw Failure.notAnObject(at: path, expected: what)
        }
        self.members = members
        self.path = path
    }

    /// The full parameter name of `key`.
    package func param(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The value of `key`, nil when absent or null.
    package func value(_ key: String) -> JSONValue? {
        guard let value = members[key], value != .null else { return nil }
        return value
    }

    /// The value of `key`, which must be present and not null.
    package func required(_ key: String) throws(Failure) -> JSONValue {
        guard let value = value(key) else { throw Failure.missing(param(key)) }
        return value
    }

    /// The string at `key`, nil when absent.
    package func string(_ key: String) throws(Failure) -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let text) = value else { throw Failure.invalidType(param(key), expected: "a string") }
        return text
    }

    /// The string at `key`, which must be present.
    package func requiredString(_ key: String) throws(Failure) -> String {
        guard let text = try string(key) else { throw Failure.missing(param(key)) }
        return text
    }

    /// The boolean at `key`, nil when absent.
    package func bool(_ key: String) throws(Failure) -> Bool? {
        guard let value = value(key) else { return nil }
        guard case .bool(let flag) = value else { throw Failure.invalidType(param(key), expected: "a boolean") }
        return flag
    }

    /// A number within `range`.
    package func double(_ key: String, in range: ClosedRange<Double>) throws(Failure) -> Double? {
        guard let value = value(key) else { return nil }
        guard case .number(let number) = value, number.isFinite else {
            throw Failure.invalidType(param(key), expected: "a number")
        }
        guard range.contains(number) else {
            throw Failure.invalidValue(
                param(key),
                "\(JSONObjectReader.show(number)) is out of range; expected a number from "
                    + "\(JSONObjectReader.show(range.lowerBound)) to \(JSONObjectReader.show(range.upperBound))."
            )
        }
        return number
    }

    /// An integer of at least `minimum`.
    package func int(_ key: String, minimum: Int? = nil) throws(Failure) -> Int? {
        guard let value = value(key) else { return nil }
        guard case .number(let number) = value, number == number.rounded(), abs(number) < 9.0e15 else {
            throw Failure.invalidType(param(key), expected: "an integer")
        }
        let integer = Int(number)
        if let minimum, integer < minimum {
            throw Failure.invalidValue(param(key), "\(integer) is less than the minimum of \(minimum).")
        }
        return integer
    }

    /// The array at `key`, nil when absent.
    package func array(_ key: String) throws(Failure) -> [JSONValue]? {
        guard let value = value(key) else { return nil }
        guard case .array(let elements) = value else { throw Failure.invalidType(param(key), expected: "an array") }
        return elements
    }

    /// A reader for the object at `key`, nil when absent.
    package func object(_ key: String) throws(Failure) -> JSONObjectReader? {
        guard let value = value(key) else { return nil }
        return try JSONObjectReader(value, path: param(key))
    }

    /// A string that must be one of `allowed`.
    package func choice(_ key: String, _ allowed: [String]) throws(Failure) -> String? {
        guard let text = try string(key) else { return nil }
        guard allowed.contains(text) else {
            throw Failure.invalidValue(
                param(key),
                "'\(text)'. Supported values are: \(JSONObjectReader.list(allowed))."
            )
        }
        return text
    }

    /// `1`, `0.5`, `2`: numbers as a person writes them.
    package static func show(_ number: Double) -> String {
        number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
    }

    /// `'a', 'b', and 'c'`.
    package static func list(_ values: [String]) -> String {
        let quoted = values.map { "'\($0)'" }
        guard let last = quoted.last, quoted.count > 1 else { return quoted.first ?? "" }
        return quoted.dropLast().joined(separator: ", ") + ", and " + last
    }
}
