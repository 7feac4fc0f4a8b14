/// An error from encoding or decoding JSON, with a message fit to show to an HTTP client.
///
/// The ``description`` says what was wrong and where: the byte offset for malformed JSON
/// (`Invalid JSON at byte 7: unexpected character '}'`), the coding path for a document of the
/// wrong shape (`Missing field "input"`, `Expected a number for "items[2].x" but found a string`).
public struct JSONError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is; internal so that cases can be added later.
    enum Kind: Sendable, Equatable {
        /// The bytes are not valid JSON (RFC 8259).
        case syntax
        /// The JSON is valid but does not have the shape the Swift type wants.
        case decoding
        /// A value could not be encoded (a non-finite number, a misused encoder).
        case encoding
    }

    /// What kind of failure this is.
    let kind: Kind

    /// The message, ready for a client, e.g. `Missing field "input"`.
    public let description: String

    /// Where the failure was found in the input, counted in bytes from 0, for malformed JSON.
    public let byteOffset: Int?

    /// The coding path of the offending value, like `items[2].x`; empty for the top-level value
    /// and for malformed JSON.
    public let codingPath: String

    /// Creates an error with a complete message.
    /// - Parameters:
    ///   - kind: What kind of failure this is.
    ///   - description: The message for the client.
    ///   - byteOffset: The offset in the input, for syntax errors.
    ///   - codingPath: The rendered coding path of the offending value.
    init(kind: Kind, description: String, byteOffset: Int? = nil, codingPath: String = "") {
        self.kind = kind
        self.description = description
        self.byteOffset = byteOffset
        self.codingPath = codingPath
    }

    /// A syntax error: `Invalid JSON at byte <offset>: <message>`.
    /// - Parameters:
    ///   - offset: The 0-based byte offset where the problem was found.
    ///   - message: What was wrong there, e.g. `unexpected character '}'`.
    /// - Returns: The error.
    static func syntax(at offset: Int, _ message: String) -> JSONError {
        JSONError(kind: .syntax, description: "Invalid JSON at byte \(offset): \(message)", byteOffset: offset)
    }

    /// Turns any error thrown while encoding or decoding into a `JSONError`.
    ///
    /// A `JSONError` is returned as is; a `DecodingError` or `EncodingError` (ours, Foundation's, or one
    /// thrown by a user's `init(from:)`) is described with ``describe(_:)``.
    /// - Parameter error: The error to convert.
    /// - Returns: The matching `JSONError`.
    static func wrapping(_ error: any Error) -> JSONError {
        if let error = error as? JSONError {
            return error
        }
        if let error = error as? DecodingError {
            if let inner = Self.underlying(of: error) {
                return inner
            }
            let path = path(of: error)
            if let issue = Self.issue(of: error) {
                return JSONError(kind: .decoding, description: issue.message(at: path), codingPath: path)
            }
            return JSONError(kind: .decoding, description: describe(error), codingPath: path)
        }
        if let error = error as? EncodingError {
            if case .invalidValue(_, let context) = error, let inner = context.underlyingError as? JSONError {
                return inner
            }
            return JSONError(kind: .encoding, description: describe(error))
        }
        return JSONError(kind: .decoding, description: describe(error))
    }

    /// A message for a client describing any error thrown by a `Decodable` or `Encodable` implementation.
    ///
    /// Works for the errors this module throws, for `DecodingError`s built by user code (such as
    /// `DecodingError.dataCorruptedError(forKey:in:debugDescription:)`) and for those thrown by
    /// Foundation's `JSONDecoder`:
    /// - `keyNotFound` → `Missing field "items[2].x"`
    /// - `valueNotFound` → `Expected a number for "input" but found null`
    /// - `typeMismatch` → `Expected a number for "input" but found a string`
    /// - `dataCorrupted` → `Invalid value for "input": <debugDescription>`, or
    ///   `Invalid JSON: <debugDescription>` at the top level
    /// - Parameter error: Any error.
    /// - Returns: A one-line message.
    static func describe(_ error: any Error) -> String {
        if let error = error as? JSONError {
            return error.description
        }
        if let error = error as? EncodingError {
            switch error {
            case .invalidValue(_, let context):
                if let inner = context.underlyingError as? JSONError {
                    return inner.description
                }
                let where_ = context.codingPath.isEmpty ? "" : " for \"\(Self.render(context.codingPath))\""
                return "Cannot encode value\(where_): \(context.debugDescription)"
            @unknown default:
                return "\(error)"
            }
        }
        guard let error = error as? DecodingError else {
            return "\(error)"
        }
        if let inner = underlying(of: error) {
            return inner.description
        }
        if let issue = issue(of: error) {
            return issue.message(at: path(of: error))
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "Missing field \"\(render(context.codingPath + [key]))\""
        case .valueNotFound(let type, let context):
            let path = render(context.codingPath)
            if context.debugDescription.contains("at end") {
                return "Expected \(noun(for: type)) at \"\(path)\" but the array has no more elements"
            }
            return "Expected \(noun(for: type))\(forPath(path)) but found null"
        case .typeMismatch(let type, let context):
            let path = render(context.codingPath)
            return "Expected \(noun(for: type))\(forPath(path))\(foundClause(context.debugDescription))"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                return "Invalid JSON: \(context.debugDescription)"
            }
            return "Invalid value for \"\(render(context.codingPath))\": \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    /// The `JSONError` carried as the underlying error of a `DecodingError`, if any.
    /// - Parameter error: A decoding error.
    /// - Returns: The carried error, or `nil`.
    private static func underlying(of error: DecodingError) -> JSONError? {
        switch error {
        case .keyNotFound(_, let context), .valueNotFound(_, let context), .typeMismatch(_, let context),
            .dataCorrupted(let context):
            return context.underlyingError as? JSONError
        @unknown default:
            return nil
        }
    }

    /// The `JSONDecodingIssue` carried as the underlying error of a `DecodingError` this module threw, if any.
    /// - Parameter error: A decoding error.
    /// - Returns: The carried issue, or `nil`.
    private static func issue(of error: DecodingError) -> JSONDecodingIssue? {
        switch error {
        case .keyNotFound(_, let context), .valueNotFound(_, let context), .typeMismatch(_, let context),
            .dataCorrupted(let context):
            return context.underlyingError as? JSONDecodingIssue
        @unknown default:
            return nil
        }
    }

    /// The rendered coding path of a decoding error (including the missing key, for `keyNotFound`).
    /// - Parameter error: A decoding error.
    /// - Returns: The path, like `items[2].x`.
    private static func path(of error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, let context):
            return render(context.codingPath + [key])
        case .valueNotFound(_, let context), .typeMismatch(_, let context), .dataCorrupted(let context):
            return render(context.codingPath)
        @unknown default:
            return ""
        }
    }

    /// ` for "path"`, or nothing for the top-level value.
    /// - Parameter path: A rendered coding path.
    /// - Returns: The clause.
    private static func forPath(_ path: String) -> String {
        path.isEmpty ? "" : " for \"\(path)\""
    }

    /// Extracts ` but found a string` from a debug description like
    /// `Expected to decode Double but found a string instead.` (ours and Foundation's wording).
    /// - Parameter debugDescription: The context's debug description.
    /// - Returns: The clause, or an empty string.
    private static func foundClause(_ debugDescription: String) -> String {
        guard let range = debugDescription.firstRange(of: "but found ") else {
            return ""
        }
        var found = debugDescription[range.upperBound...]
        if found.hasSuffix(" instead.") {
            found = found.dropLast(" instead.".count)
        } else if found.hasSuffix(".") {
            found = found.dropLast()
        }
        // Foundation says "found a number instead", "found null", "found a dictionary instead".
        let text = found == "a dictionary" ? "an object" : String(found)
        return " but found \(text)"
    }

    /// What a client would call the JSON form of a Swift type: "a number", "a string", "an object".
    /// - Parameter type: The type named in a `DecodingError`.
    /// - Returns: The noun phrase with its article.
    static func noun(for type: Any.Type) -> String {
        switch type {
        case is Double.Type, is Float.Type: return "a number"
        case is Int.Type, is Int8.Type, is Int16.Type, is Int32.Type, is Int64.Type, is UInt.Type, is UInt8.Type,
            is UInt16.Type, is UInt32.Type, is UInt64.Type, is Int128.Type, is UInt128.Type:
            return "an integer"
        case is String.Type, is Character.Type, is Substring.Type: return "a string"
        case is Bool.Type: return "a boolean"
        case is [String: Any].Type: return "an object"
        case is [Any].Type: return "an array"
        default: return "a value of type \(type)"
        }
    }

    /// Renders a coding path the way a client reads it: `items[2].x`.
    ///
    /// Keys with an integer value whose string value is `Index N` (array positions, as written by
    /// this module and by Foundation) render as `[N]`; other keys by their string value, joined by dots.
    /// - Parameter path: The coding path.
    /// - Returns: The rendered path; empty for the top level.
    static func render(_ path: [any CodingKey]) -> String {
        var result = ""
        for key in path {
            if let index = key.intValue, key.stringValue == "Index \(index)" {
                result += "[\(index)]"
            } else {
                if !result.isEmpty {
                    result += "."
                }
                result += key.stringValue
            }
        }
        return result
    }
}

/// A coding key for a position in an array, spelled like Foundation's (`Index 2`).
struct JSONIndexKey: CodingKey {
    /// The position in the array.
    let index: Int

    /// Creates a key for a position.
    /// - Parameter index: The position in the array.
    init(_ index: Int) {
        self.index = index
    }

    /// `Index N`.
    var stringValue: String { "Index \(index)" }

    /// The position.
    var intValue: Int? { index }

    /// Not used: index keys are made from positions only.
    /// - Parameter stringValue: Ignored.
    init?(stringValue: String) {
        return nil
    }

    /// Creates a key for a position.
    /// - Parameter intValue: The position in the array.
    init?(intValue: Int) {
        self.index = intValue
    }
}

/// A plain string coding key, for `super` and for keys built from JSON members.
struct JSONStringKey: CodingKey {
    /// The key.
    let stringValue: String

    /// Always `nil`.
    var intValue: Int? { nil }

    /// Creates a key.
    /// - Parameter stringValue: The key.
    init(stringValue: String) {
        self.stringValue = stringValue
    }

    /// Not used.
    /// - Parameter intValue: Ignored.
    init?(intValue: Int) {
        return nil
    }

    /// The key that `superEncoder()` and `superDecoder()` use.
    static let `super` = JSONStringKey(stringValue: "super")
}

/// A coding path built lazily: appending costs one small allocation and the array of keys
/// that `Encoder.codingPath`/`Decoder.codingPath` return is made only when asked for.
enum JSONCodingPath {
    /// The top-level value.
    case root
    /// A member of an object, below `parent`.
    indirect case key(any CodingKey, parent: JSONCodingPath)
    /// An element of an array, below `parent`.
    indirect case index(Int, parent: JSONCodingPath)

    /// The path to a member of the value at this path.
    /// - Parameter key: The member's key.
    /// - Returns: The longer path.
    func appending(_ key: any CodingKey) -> JSONCodingPath {
        .key(key, parent: self)
    }

    /// The path to an element of the array at this path.
    /// - Parameter index: The element's position.
    /// - Returns: The longer path.
    func appending(index: Int) -> JSONCodingPath {
        .index(index, parent: self)
    }

    /// The keys from the top level down.
    var keys: [any CodingKey] {
        var depth = 0
        var node = self
        while true {
            switch node {
            case .root: break
            case .key(_, let parent), .index(_, let parent):
                depth += 1
                node = parent
                continue
            }
            break
        }
        if depth == 0 {
            return []
        }
        return [any CodingKey](unsafeUninitializedCapacity: depth) { buffer, count in
            var position = depth
            var node = self
            while position > 0 {
                position -= 1
                switch node {
                case .root:
                    preconditionFailure("coding path shorter than its depth")
                case .key(let key, let parent):
                    (buffer.baseAddress! + position).initialize(to: key)
                    node = parent
                case .index(let index, let parent):
                    (buffer.baseAddress! + position).initialize(to: JSONIndexKey(index))
                    node = parent
                }
            }
            count = depth
        }
    }

    /// The path as a client reads it, like `items[2].x`.
    var rendered: String {
        JSONError.render(keys)
    }

    /// The path as a client reads it with one more key, like `items[2].x`.
    /// - Parameter key: The last key.
    /// - Returns: The rendered path.
    func rendered(appending key: any CodingKey) -> String {
        JSONError.render(keys + [key])
    }
}

/// What went wrong in a `DecodingError` thrown by `LitJSONDecoder`, kept as its underlying error so that the
/// client-facing message is rendered only when needed (most such errors are thrown and dropped by `try?`).
struct JSONDecodingIssue: Error {
    /// The kinds of problem.
    enum Problem {
        /// The value has another JSON type.
        case mismatch(found: JSONNode.Kind)
        /// A number that does not fit; `range` says what would (e.g. `between -128 and 127`).
        case outOfRange(text: String, range: String)
        /// A number with a fraction where an integer was wanted.
        case notAnInteger(text: String)
        /// A required member is absent.
        case missingKey
        /// An array has fewer elements than the type reads.
        case arrayEnd(count: Int)
    }

    /// The problem.
    let problem: Problem
    /// The Swift type that was wanted.
    let expected: Any.Type

    /// The message for a client.
    /// - Parameter path: The rendered coding path of the value (for `missingKey`, including the key).
    /// - Returns: E.g. `Expected a number for "input" but found a string`.
    func message(at path: String) -> String {
        let noun = JSONError.noun(for: expected)
        let forPath = path.isEmpty ? "" : " for \"\(path)\""
        switch problem {
        case .mismatch(let found):
            return "Expected \(noun)\(forPath) but found \(found.noun)"
        case .outOfRange(let text, let range):
            return "Expected \(noun) \(range)\(forPath) but found \(text)"
        case .notAnInteger(let text):
            return "Expected \(noun)\(forPath) but found \(text)"
        case .missingKey:
            return "Missing field \"\(path)\""
        case .arrayEnd(let count):
            return "Expected another element at \"\(path)\" but the array has only \(count) element"
                + (count == 1 ? "" : "s")
        }
    }
}
