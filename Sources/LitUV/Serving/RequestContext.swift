/// What a hook may know about the HTTP request besides its body (LitServe #566, #718).
public struct RequestContext: Sendable {
    /// The request's header fields, in order, names as sent. Filled only when the API's
    /// `needsRequestHeaders` is true (copying them costs an allocation per request).
    public var headers: [(name: String, value: String)]
    /// The request path (the API's route).
    public var path: String
    /// The TLS server name (SNI) the client asked for, on HTTPS listeners.
    public var serverName: String?

    /// Creates a context.
    public init(headers: [(name: String, value: String)] = [], path: String = "/predict", serverName: String? = nil) {
        self.headers = headers
        self.path = path
        self.serverName = serverName
    }

    /// The first value of a header, compared case-insensitively.
    public func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return headers.first { $0.name.lowercased() == lowered }?.value
    }
}
