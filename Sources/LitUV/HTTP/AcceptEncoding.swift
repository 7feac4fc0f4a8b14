/// Reads an `Accept-Encoding` field value.
enum AcceptEncoding {
    /// Whether gzip is acceptable (placeholder until the full RFC 9110 §12.5.3 reader lands).
    static func acceptsGzip(_ value: UnsafeRawBufferPointer) -> Bool {
        HTTPRequestParser.listContains(value, 0..<value.count, "gzip")
    }
}
