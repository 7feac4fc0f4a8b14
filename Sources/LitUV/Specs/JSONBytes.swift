/// Appends compact JSON to a byte array, through the module's `JSONWriter` (the same escaping and Python-style
/// numbers as every other LitUV body). The OpenAI codecs render their bodies with it directly: a streamed chunk
/// is a precomputed prefix, one escaped string and a fixed suffix, with no `Encodable` machinery per token.
struct JSONBytes {
    var bytes: [UInt8]

    init(capacity: Int = 128) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Appends bytes that are already JSON (or SSE framing).
    mutating func raw(_ text: StaticString) {
        JSONWriter.append(text, to: &bytes)
    }

    /// Appends bytes that are already JSON.
    mutating func raw(_ other: [UInt8]) {
        bytes.append(contentsOf: other)
    }

    /// Appends `value` as a JSON string.
    mutating func string(_ value: String) {
        JSONWriter.writeString(value, into: &bytes)
    }

    /// Appends a string, or `null`.
    mutating func optionalString(_ value: String?) {
        if let value { string(value) } else { raw("null") }
    }

    /// Appends an integer.
    mutating func int(_ value: Int) {
        JSONWriter.writeInteger(value, into: &bytes)
    }

    /// Appends a finite float in its shortest round-trip form, as Python writes it (`0.25`, `1e-05`, `1.0`).
    /// - Throws: ``OpenAIError`` (500) for NaN or infinity, which JSON cannot carry.
    mutating func float(_ value: Float) throws(OpenAIError) {
        do {
            try JSONWriter.writeFloat(value, into: &bytes)
        } catch {
            throw OpenAIError(status: 500, message: "The model produced a non-finite number.", type: "server_error")
        }
    }

    /// Appends a number: integral values below 2^53 without a fraction (as JSON Schema documents write them),
    /// others in Python's shortest form; `null` for NaN or infinity.
    mutating func number(_ value: Double) {
        if value.magnitude < 9_007_199_254_740_992.0, value.rounded(.towardZero) == value {
            JSONWriter.writeInteger(Int64(value), into: &bytes)
        } else {
            do { try JSONWriter.writeDouble(value, into: &bytes) } catch { raw("null") }
        }
    }

    /// Appends any JSON value (object members sorted by key).
    mutating func value(_ value: JSONValue) {
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

/// Server-sent events framing (`text/event-stream`), as OpenAI streams: each event is one `data:` line holding one
/// JSON object and ends with a blank line; the stream ends with `data: [DONE]`.
enum ServerSentEvents {
    /// `data: ` — the start of every event.
    static let dataPrefix: [UInt8] = Array("data: ".utf8)
    /// The blank line that ends an event.
    static let eventEnd: [UInt8] = Array("\n\n".utf8)
    /// The event that ends an OpenAI stream.
    static let done: [UInt8] = Array("data: [DONE]\n\n".utf8)

    /// One event carrying `json` (which must not contain a raw newline: compact JSON never does).
    static func event(_ json: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(json.count + 8)
        bytes.append(contentsOf: dataPrefix)
        bytes.append(contentsOf: json)
        bytes.append(contentsOf: eventEnd)
        return bytes
    }
}
