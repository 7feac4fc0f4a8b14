/// How a spec words the error answers LitUV gives itself on the paths it owns: a protocol whose clients read
/// `{"error": "..."}` (the Open Inference Protocol) instead of LitUV's `{"detail": "..."}`.
///
/// A request whose path starts with ``pathPrefix`` gets the shape at head time (kept in its
/// ``ResponseDecoration``), so every `{"detail": ...}` answer it receives is rewritten when written, whoever made it:
/// a 404 for a path no route serves (worded by ``notFoundMessage``), a 405, the API key's 401, a hook's `HTTPError`,
/// a full queue's 503, the deadline's 504, a shutdown's 503. Errors found before a request has a path (a malformed
/// head, a declared body over the size limit) keep LitUV's shape.
package struct ErrorBodyShape: Sendable {
    /// The paths the shape applies to (e.g. `/v2/`).
    package var pathPrefix: String
    /// The body of an error: its status, LitUV's message, and the request id when the request has one.
    package var body: @Sendable (_ status: Int, _ message: String, _ requestID: String?) -> [UInt8]
    /// The message of the 404 for a path under the prefix that no route serves (the path is given).
    package var notFoundMessage: @Sendable (_ path: String) -> String

    /// A shape.
    /// - Parameters:
    ///   - pathPrefix: The paths the shape applies to; it must start with `/`.
    ///   - body: Renders an error body from its status, message and request id.
    ///   - notFoundMessage: Words the 404 for an unserved path under the prefix.
    package init(
        pathPrefix: String,
        body: @escaping @Sendable (_ status: Int, _ message: String, _ requestID: String?) -> [UInt8],
        notFoundMessage: @escaping @Sendable (_ path: String) -> String
    ) {
        self.pathPrefix = pathPrefix
        self.body = body
        self.notFoundMessage = notFoundMessage
    }
}
