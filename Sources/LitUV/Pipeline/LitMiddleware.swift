/// A request interceptor: it sees every request head on the I/O loop, before the request is routed to a model, and
/// either lets it through (adding response header fields if it likes) or answers it at once.
///
/// Middleware run in the order of ``LitServer/Configuration/middleware``, after LitUV's built-in steps (trusted
/// hosts, request ids, CORS, the API key), so a request refused by those never reaches them. They run on the I/O
/// loop thread: keep them short and never block (no I/O, no locks held long). An answer given here is sent without
/// reading the request's body (a request with a body then closes its connection), so a refused client cannot make
/// the server read its body first.
///
/// ```swift
/// struct RequireTenant: LitMiddleware {
///     func handle(_ request: IncomingRequest, response: inout ResponseHeaderFields) -> MiddlewareDecision {
///         guard request.header("X-Tenant") != nil else { return .respond(.error(400, "X-Tenant is required")) }
///         response.add("X-Served-By", "lituv")
///         return .proceed
///     }
/// }
/// ```
public protocol LitMiddleware: Sendable {
    /// Decides what happens to one request.
    /// - Parameters:
    ///   - request: The request head; valid only during this call (do not keep it).
    ///   - response: Header fields to add to the request's answer, whichever part of the server gives it.
    /// - Returns: ``MiddlewareDecision/proceed`` to let the request through, or an answer.
    func handle(_ request: IncomingRequest, response: inout ResponseHeaderFields) -> MiddlewareDecision
}

/// What a ``LitMiddleware`` decided.
public enum MiddlewareDecision: Sendable {
    /// Let the request through to the next middleware and then its route.
    case proceed
    /// Answer now with this response (the request goes no further).
    case respond(LitResponse)
}

/// Header fields a middleware adds to a request's answer. Checked as they are added: a field that could not be
/// sent safely (see ``LitResponse``) makes the request a logged `500`.
public struct ResponseHeaderFields: Sendable {
    var fields: [(name: String, value: String)] = []
    var problem: String?

    /// Adds a field to the answer.
    public mutating func add(_ name: String, _ value: String) {
        if let reason = HeaderValidation.problem(name: name, value: value) {
            if problem == nil { problem = reason }
            return
        }
        fields.append((name, value))
    }
}
