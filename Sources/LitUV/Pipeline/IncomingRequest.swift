/// A request head as a ``LitMiddleware`` sees it: method, target, header fields, the client's address and the TLS
/// server name. It reads the bytes the server is parsing in place, so it is valid only during
/// ``LitMiddleware/handle(_:response:)``; afterwards every property reads as empty.
///
/// Each I/O loop reuses one instance for every request, so giving it to middleware allocates nothing; the `String`s
/// its properties return are made when asked for.
public final class IncomingRequest: @unchecked Sendable {
    // Invariant for @unchecked Sendable: used only on its loop's thread, during one middleware call; `buffer` and
    // `head` are set just before the middleware run and cleared right after.
    private var buffer: UnsafeRawBufferPointer?
    private var head: HTTPRequestHead?
    private var connection: HTTPServerConnection?
    private var id: RequestID?

    init() {}

    /// Points the view at a head being parsed. Loop thread only; pair with ``clear()``.
    func set(
        head: HTTPRequestHead,
        buffer: UnsafeRawBufferPointer,
        connection: HTTPServerConnection,
        requestID: RequestID?
    ) {
        self.head = head
        self.buffer = buffer
        self.connection = connection
        self.id = requestID
    }

    /// Ends the call: the view no longer refers to the head's bytes.
    func clear() {
        head = nil
        buffer = nil
        connection = nil
        id = nil
    }

    private func text(_ range: Range<Int>) -> String {
        guard let buffer else { return "" }
        return String(decoding: UnsafeRawBufferPointer(rebasing: buffer[range]), as: UTF8.self)
    }

    /// The method, as sent (`"POST"`).
    public var method: String { head.map { text($0.methodRange) } ?? "" }

    /// The path the request is routed on, without the query.
    public var path: String { head.map { text($0.path) } ?? "" }

    /// The request target as sent (with the query, if any).
    public var target: String { head.map { text($0.target) } ?? "" }

    /// The HTTP version, `"HTTP/1.1"` or `"HTTP/1.0"`.
    public var version: String { head.map { $0.minorVersion == 0 ? "HTTP/1.0" : "HTTP/1.1" } ?? "" }

    /// The value of the first field named `name` (case-insensitive), or nil.
    public func header(_ name: String) -> String? {
        guard let head, let buffer else { return nil }
        let wanted = Array(name.utf8)
        for field in head.headers where Self.equalsIgnoringCase(buffer, field.name, wanted) {
            return text(field.value)
        }
        return nil
    }

    /// The values of every field named `name` (case-insensitive), in order.
    public func values(forHeader name: String) -> [String] {
        guard let head, let buffer else { return [] }
        let wanted = Array(name.utf8)
        return head.headers.filter { Self.equalsIgnoringCase(buffer, $0.name, wanted) }.map { text($0.value) }
    }

    /// Every header field, in order, names as sent.
    public var headers: [(name: String, value: String)] {
        guard let head else { return [] }
        return head.headers.map { (text($0.name), text($0.value)) }
    }

    /// The client's address, `host:port`.
    public var peerAddress: String? { connection?.peerAddress }

    /// The TLS server name (SNI) the client asked for, on HTTPS listeners.
    public var serverName: String? { connection?.serverName }

    /// The request's id, when request ids are on (``LitServer/Configuration/requestIDs``).
    public var requestID: String? { id?.string }

    private static func equalsIgnoringCase(
        _ buffer: UnsafeRawBufferPointer,
        _ range: Range<Int>,
        _ wanted: [UInt8]
    ) -> Bool {
        guard range.count == wanted.count else { return false }
        var index = range.lowerBound
        for byte in wanted {
            if Self.lower(buffer[index]) != Self.lower(byte) { return false }
            index += 1
        }
        return true
    }

    private static func lower(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }
}
