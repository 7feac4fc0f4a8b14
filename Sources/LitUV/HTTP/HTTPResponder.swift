/// Where a deferred answer goes: the connection and the request's place in its pipeline.
struct HTTPResponder: @unchecked Sendable {
    // Invariant for @unchecked Sendable: the connection is only dereferenced on its loop thread (`complete` is
    // called from the loop's completion drain); other threads merely carry the reference.
    let connection: HTTPServerConnection
    let sequence: UInt64

    /// The TLS server name (SNI) of the connection, if any. Loop thread only.
    var serverName: String? { connection.serverName }

    /// Delivers the answer. Loop thread only. Ignored when the request already timed out or the client left.
    func complete(_ response: HTTPResponse) {
        connection.complete(sequence: sequence, with: response)
    }

    /// Delivers one event of a streamed answer. Loop thread only.
    func stream(_ event: HTTPStreamEvent) {
        connection.streamEvent(sequence: sequence, event)
    }
}

/// One event of a streamed answer, from a worker to the connection.
enum HTTPStreamEvent: Sendable {
    /// The answer starts (status 200). `chunked`: Transfer-Encoding chunked (else the connection closes at the end).
    /// `timeoutTrailer` is written, and the connection closed, if the deadline passes mid-stream. `mediaType`: the
    /// `Content-Type` when the content type is ``HTTPResponse/ContentType/none`` (validated by the sender).
    case head(HTTPResponse.ContentType, mediaType: String? = nil, timeoutTrailer: [UInt8])
    /// Bytes to send now.
    case chunk([UInt8])
    /// The last bytes of a successful answer; the stream ends cleanly after them.
    case end([UInt8])
    /// The stream failed. Before its head: `response` is sent instead (a normal HTTP error). After it: `trailer` is
    /// sent and the connection closes — never a silent clean end.
    case fail(HTTPResponse, trailer: [UInt8])
}
