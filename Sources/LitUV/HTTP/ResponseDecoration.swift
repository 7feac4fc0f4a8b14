/// What the request pipeline adds to one request's answer, whatever produces that answer: a built-in route, a
/// middleware, a worker, an inline prediction, a stream, or the connection itself (a 504 at the deadline, a 503 at
/// shutdown). Decided at head time and kept in the request's ``HTTPResponseSlot``. A request the pipeline adds
/// nothing to has none (nil): copying a slot then costs nothing more.
final class ResponseDecoration: @unchecked Sendable {
    // Invariant for @unchecked Sendable: filled on the loop at head time, read-only afterwards (the worker side never
    // sees it; admission reads it on the loop).

    /// Extra header fields (CORS, a middleware's own); names and values already validated.
    var headers: [(name: String, value: String)] = []
    /// Sent as `X-Request-Id` and added as `request_id` to `{"detail": ...}` error bodies.
    var requestID: RequestID?
    /// The client accepts gzip and the server compresses: an eligible body is gzipped (by the worker that made it,
    /// else before it is written).
    var compressor: ResponseCompressor?
    /// The server compresses: answers of a compressible type carry `Vary: Accept-Encoding`, whether this client
    /// accepts gzip or not (a cache must not give a gzip answer to a client that cannot read it).
    var variesByEncoding = false
    /// Told once the answer has been written (access log, callbacks); nil when nobody listens.
    var observer: (any ResponseObserver)?
    /// A spec's wording of `{"detail": ...}` error bodies on its paths (``ErrorBodyShape``), or nil for LitUV's.
    var errorShape: ErrorBodyShape?

    init() {}

    /// A decoration that only words errors in `shape`: made once per shape and shared by the requests the pipeline
    /// adds nothing to (it is never changed after it is made).
    init(errorShape shape: ErrorBodyShape) {
        errorShape = shape
    }

    /// True when nothing is added.
    var isEmpty: Bool {
        headers.isEmpty && requestID == nil && compressor == nil && !variesByEncoding && observer == nil
            && errorShape == nil
    }
}

/// Hears about a request's final answer once it is in the connection's output (loop thread).
protocol ResponseObserver: AnyObject, Sendable {
    /// The answer was written: its status and the bytes of its body as sent (after compression; a streamed body
    /// counts the bytes of its chunks).
    func responseWritten(status: Int, bodyBytes: Int)
}
