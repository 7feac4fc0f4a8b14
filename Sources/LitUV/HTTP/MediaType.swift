/// A parsed media type, such as `multipart/form-data; boundary=x` (RFC 9110 §8.3.1).
///
/// The syntax is `type "/" subtype *( OWS ";" OWS [ name "=" value ] )`, where type, subtype and parameter names are
/// tokens (stored lowercased: they are case-insensitive) and a value is a token or a quoted-string (stored unescaped
/// and as sent: whether a value is case-sensitive depends on the parameter; `boundary` is, `charset` is not).
/// Whitespace is allowed around the whole value and around `;`, not around `/` or `=`.
public struct MediaType: Sendable, Hashable, CustomStringConvertible {
    /// The top-level type, lowercased (`multipart`, `image`, or `*` in a pattern).
    public var type: String
    /// The subtype, lowercased (`form-data`, `png`, or `*` in a pattern).
    public var subtype: String
    /// The parameters in the order sent: names lowercased, values unescaped.
    public var parameters: [(name: String, value: String)]

    /// Creates a media type from its parts.
    /// - Parameters:
    ///   - type: The top-level type (lowercased here).
    ///   - subtype: The subtype (lowercased here).
    ///   - parameters: The parameters (names lowercased here).
    public init(type: String, subtype: String, parameters: [(name: String, value: String)] = []) {
        self.type = type.lowercased()
        self.subtype = subtype.lowercased()
        self.parameters = parameters.map { ($0.name.lowercased(), $0.value) }
    }

    /// Parses a `Content-Type` value (or an `Accept`-style pattern such as `image/*`).
    /// - Parameter bytes: The field value, as sent.
    /// - Returns: `nil` if the value is not a valid media type or a parameter value is not valid UTF-8.
    public init?(parsing bytes: some Collection<UInt8>) {
        let bytes = Array(bytes)
        var i = 0
        FormSyntax.skipWhitespace(bytes, &i)
        guard let type = FormSyntax.token(bytes, &i), i < bytes.count, bytes[i] == UInt8(ascii: "/") else {
            return nil
        }
        i += 1
        guard let subtype = FormSyntax.token(bytes, &i),
            let parameters = FormSyntax.parameters(bytes, from: i, whitespaceAroundEquals: false)
        else { return nil }
        var decoded: [(name: String, value: String)] = []
        decoded.reserveCapacity(parameters.count)
        for parameter in parameters {
            guard let value = String(validating: parameter.value, as: UTF8.self) else { return nil }
            decoded.append((parameter.name, value))
        }
        self.type = FormSyntax.lowercasedString(bytes, type)
        self.subtype = FormSyntax.lowercasedString(bytes, subtype)
        self.parameters = decoded
    }

    /// Parses a media type from text, as ``init(parsing:)``.
    /// - Parameter string: For example `text/plain; charset=utf-8`.
    public init?(_ string: String) {
        self.init(parsing: Array(string.utf8))
    }

    /// The value of the first parameter with this name (compared ignoring ASCII case), or `nil`.
    public subscript(parameter name: String) -> String? {
        let name = name.lowercased()
        return parameters.first { $0.name == name }?.value
    }

    /// `type/subtype`, without parameters (for example `multipart/form-data`).
    public var essence: String { "\(type)/\(subtype)" }

    /// Whether this media type matches `pattern`: the types and subtypes are equal (both are lowercased), or the
    /// pattern has `*` in their place (`image/*`, `*/*`). Parameters are not compared.
    /// - Parameter pattern: A media type or a pattern.
    /// - Returns: `true` on a match.
    public func matches(_ pattern: MediaType) -> Bool {
        (pattern.type == "*" || pattern.type == type) && (pattern.subtype == "*" || pattern.subtype == subtype)
    }

    /// Whether this media type matches a pattern written as text (`image/png`, `image/*`, `*/*`).
    /// - Parameter pattern: The pattern; one that does not parse matches nothing.
    /// - Returns: `true` on a match.
    public func matches(_ pattern: String) -> Bool {
        MediaType(pattern).map(matches) ?? false
    }

    /// The media type as a field value: `type/subtype` then `; name=value` for each parameter, the value quoted
    /// (with `"` and `\` escaped) when it is not a token.
    public var description: String {
        var text = essence
        for (name, value) in parameters {
            text += "; \(name)="
            if !value.isEmpty, value.utf8.allSatisfy(FormSyntax.isTokenChar) {
                text += value
            } else {
                text += "\""
                for c in value {
                    if c == "\"" || c == "\\" { text += "\\" }
                    text.append(c)
                }
                text += "\""
            }
        }
        return text
    }

    /// Equal when the types, subtypes and parameters (names and values, in order) are equal.
    public static func == (lhs: MediaType, rhs: MediaType) -> Bool {
        lhs.type == rhs.type && lhs.subtype == rhs.subtype && lhs.parameters.count == rhs.parameters.count
            && zip(lhs.parameters, rhs.parameters).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    /// Hashes the type, subtype and parameters.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(type)
        hasher.combine(subtype)
        hasher.combine(parameters.count)
        for (name, value) in parameters {
            hasher.combine(name)
            hasher.combine(value)
        }
    }
}
