/// Server-sent events framing (`text/event-stream`) for spec codecs: each event is one `data:` line holding one
/// JSON object and ends with a blank line.
package enum ServerSentEvents {
    /// `data: ` — the start of every event.
    package static let dataPrefix: [UInt8] = Array("data: ".utf8)
    /// The blank line that ends an event.
    package static let eventEnd: [UInt8] = Array("\n\n".utf8)

    /// One event carrying `json` (which must not contain a raw newline: compact JSON never does).
    package static func event(_ json: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(json.count + 8)
        bytes.append(contentsOf: dataPrefix)
        bytes.append(contentsOf: json)
        bytes.append(contentsOf: eventEnd)
        return bytes
    }
}
