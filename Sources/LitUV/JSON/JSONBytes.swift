/// Appends compact JSON to a byte array, through the module's `JSONWriter` (the same escaping and Python-style
/// numbers as every other LitUV body). Spec codecs render their bodies with it directly: a streamed chunk is a
/// precomputed prefix, one escaped string and a fixed suffix, with no `Encodable` machinery per token.
package struct JSONBytes {
    /// The JSON written so far.
    package var bytes: [UInt8]

    /// An empty buffer with room for `capacity` bytes.
    package init(capacity: Int = 128) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Appends bytes that are already JSON (or SSE framing).
    package mutating func raw(_ text: StaticString) {
        JSONWriter.append(text, to: &bytes)
    }

    /// Appends bytes that are already JSON.
    package mutating func raw(_ other: [UInt8]) {
        bytes.append(contentsOf: other)
    }

    /// Appends `value` as a JSON string.
    package mutating func string(_ value: String) {
        JSONWriter.writeString(value, into: &bytes)
    }

    /// Appends a string, or `null`.
    package mutating func optionalString(_ value: String?) {
        if let value { string(value) } else { raw("null") }
    }

    /// Appends an integer.
    package mutating func int(_ value: Int) {
        JSONWriter.writeInteger(value, into: &bytes)
    }

    /// Appends a finite float in its shortest round-trip form, as Python writes it (`0.25`, `1e-05`, `1.0`).
    /// - Throws: An encoding `JSONError` for NaN or infinity, which JSON cannot carry (nothing is appended then).
    package mutating func float(_ value: Float) throws(JSONError) {
        do {
            try JSONWriter.writeFloat(value, into: &bytes)
        } catch {
            throw JSONError(kind: .encoding, description: "Cannot encode the non-finite number \(value)")
        }
    }

    /// Appends a number: integral values below 2^53 without a fraction (as JSON Schema documents write them),
    /// others in Python's shortest form; `null` for NaN or infinity.
    package mutating func number(_ value: Double) {
        if value.magnitude < 9_007_199_254_740_992.0, value.rounded(.towardZero) == value {
            JSONWriter.writeInteger(Int64(value), into: &bytes)
        } else {
            do { try JSONWriter.writeDouble(value, into: &bytes) } catch { raw("null") }
        }
    }

    /// Appends any JSON value (object members sorted by key).
    package mutating func value(_ value: JSONValue) {
        switch value {
        case .null: raw("null")
        case .bool(let flag): JSONWriter.writeBool(flag, into: &bytes)
        case .number(let number): self.number(number)
        case .string(let text): string(text)
        case .array(let elements):
            bytes.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                self.value(element)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            bytes.append(UInt8(ascii: "{"))
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                string(key)
                bytes.append(UInt8(ascii: ":"))
                self.value(members[key]!)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }
}
