// `LitJSON`: the entry points for encoding and decoding request and response bodies.
//
// Decoding runs in two passes: `JSONParser` validates the whole document and records it on a flat tape of
// `JSONNode`s, then `LitJSONDecoder` walks the tape for the `Decodable` type. Encoding writes straight to bytes
// through `JSONEncodingState`.

/// Encodes and decodes JSON for request and response bodies.
@_spi(Benchmarks) public enum LitJSON {
    /// The deepest nesting of arrays and objects accepted when decoding.
    static let maximumDepth = 512

    /// Encodes a value as compact JSON, appending to `buffer`.
    /// - Parameters:
    ///   - value: The value to encode.
    ///   - buffer: The output; on error it is left as it was.
    /// - Throws: `JSONError` for NaN or infinite numbers and for misuse of the encoder.
    public static func encode<T: Encodable>(_ value: T, into buffer: inout [UInt8]) throws(JSONError) {
        try JSONEncodingState.encode(value, into: &buffer)
    }

    /// Encodes a value as compact JSON.
    /// - Parameter value: The value to encode.
    /// - Returns: The UTF-8 bytes of the JSON text.
    /// - Throws: `JSONError` for NaN or infinite numbers and for misuse of the encoder.
    public static func encode<T: Encodable>(_ value: T) throws(JSONError) -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(64)
        try JSONEncodingState.encode(value, into: &buffer)
        return buffer
    }

    /// Decodes `T` from JSON bytes.
    ///
    /// The bytes are only read during the call; they are not retained.
    /// - Parameters:
    ///   - type: The type to decode.
    ///   - bytes: UTF-8 JSON text.
    /// - Returns: The decoded value.
    /// - Throws: `JSONError` for malformed JSON (with a byte offset) or for a document of the wrong shape
    ///   (with the coding path), including `DecodingError`s thrown by the type's own `init(from:)`.
    static func decode<T: Decodable>(_ type: T.Type, from bytes: UnsafeRawBufferPointer) throws(JSONError) -> T {
        // The tape lives on the stack for small documents (on the heap past `JSONParser.stackCapacity` nodes),
        // and decoders point at it: nothing is allocated for the document itself.
        // (Not `withUnsafeTemporaryAllocation`: it wraps the result in a `Result<T, _>`, whose generic
        // metadata costs a run-time lookup on every call.)
        var scratch = JSONScratch()
        return try withUnsafeMutableBytes(of: &scratch) { (raw) throws(JSONError) -> T in
            let tape = try JSONParser.parse(bytes, scratch: raw.bindMemory(to: JSONNode.self))
            defer { tape.deallocate() }
            let storage = JSONDecodingStorage(bytes: tape.bytes, nodes: UnsafePointer(tape.nodes), count: tape.count)
            return try withUnsafePointer(to: storage) { (pointer) throws(JSONError) -> T in
                do {
                    return try LitJSONDecoder(context: JSONDecodingContext(storage: pointer), index: 0, path: .root)
                        .decode(T.self)
                } catch {
                    throw JSONError.wrapping(error)
                }
            }
        }
    }

    /// Decodes `T` from JSON bytes.
    /// - Parameters:
    ///   - type: The type to decode.
    ///   - bytes: UTF-8 JSON text.
    /// - Returns: The decoded value.
    /// - Throws: `JSONError` for malformed JSON (with a byte offset) or for a document of the wrong shape
    ///   (with the coding path), including `DecodingError`s thrown by the type's own `init(from:)`.
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws(JSONError) -> T {
        do {
            return try bytes.withUnsafeBytes { try decode(T.self, from: $0) }
        } catch {
            throw JSONError.wrapping(error)  // always a JSONError already
        }
    }
}
