/// What a hook may know about its HTTP request besides the body: method, path, headers, the client's address, the
/// TLS server name, the request id, the deadline and whether the client is still there (LitServe #566, #718).
///
/// Every hook gets it: ``LitAPI/authorize(_:)`` on the I/O loop, and `decodeRequest`, `predict` and
/// `encodeResponse` (single and batch forms) on the worker. Headers and the client's address are collected for the
/// worker hooks only when the API's ``LitAPI/needsRequestHeaders`` is true (copying them costs allocations per
/// request); ``LitAPI/authorize(_:)`` always sees them.
public struct RequestContext: Sendable {
    /// A context is either its own fields (built by hand, for `authorize`, or inline) or a view of a queued request's
    /// job, so that handing one to each worker hook copies a single reference.
    @usableFromInline
    enum Storage: Sendable {
        case fields(RequestFields)
        case job(Job)
    }

    @usableFromInline var storage: Storage

    @inlinable
    init(job: Job) { storage = .job(job) }

    init(fields: RequestFields) { storage = .fields(fields) }

    /// Creates a context (for tests of hooks, or hooks that call each other).
    public init(
        headers: [(name: String, value: String)] = [],
        path: String = "/predict",
        method: String = "POST",
        serverName: String? = nil,
        peerAddress: String? = nil
    ) {
        storage = .fields(
            RequestFields(
                headers: headers,
                path: path,
                method: method,
                serverName: serverName,
                peerAddress: peerAddress
            )
        )
    }

    /// What the loop captured for a body kind (``Job/bodyHead``), when this is a queued job's context.
    var bodyHead: RequestCapture? {
        if case .job(let job) = storage { return job.bodyHead }
        return nil
    }

    var fields: RequestFields {
        get {
            switch storage {
            case .fields(let fields): return fields
            case .job(let job): return job.fields
            }
        }
        set { storage = .fields(newValue) }
    }

    /// The request's header fields, in order, names as sent (see the type's note on when they are collected).
    public var headers: [(name: String, value: String)] {
        get { fields.headers }
        set { fields.headers = newValue }
    }
    /// The request path (the endpoint's route).
    public var path: String {
        get { fields.path }
        set { fields.path = newValue }
    }
    /// The request method (`"POST"` for a prediction).
    public var method: String {
        get { fields.method }
        set { fields.method = newValue }
    }
    /// The TLS server name (SNI) the client asked for, on HTTPS listeners.
    public var serverName: String? {
        get { fields.serverName }
        set { fields.serverName = newValue }
    }
    /// The client's address, `host:port` (collected with the headers).
    public var peerAddress: String? {
        get { fields.peerAddress }
        set { fields.peerAddress = newValue }
    }
    /// The `traceparent` and `tracestate` fields, when a tracer is bootstrapped.
    public var traceHeaders: [(name: String, value: String)] {
        get { fields.traceHeaders }
        set { fields.traceHeaders = newValue }
    }

    /// The first value of a header, compared case-insensitively.
    public func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return headers.first { $0.name.lowercased() == lowered }?.value
    }

    var id: RequestID? {
        get { fields.id }
        set { fields.id = newValue }
    }

    /// The request's id (`X-Request-Id`), when request ids are on (``LitServer/Configuration/requestIDs``).
    public var requestID: String? { id?.string }

    /// How long until the request's deadline (``LitServer/Configuration/timeout``), or nil when it has none. Zero
    /// or less once it passed: the client has been answered 504 and the result will be dropped.
    public var timeRemaining: Duration? {
        let deadline = fields.deadline
        guard deadline != .max else { return nil }
        return .nanoseconds(Int64(deadline) - Int64(Monotonic.nanoseconds()))
    }

    /// False once the client went away or the deadline passed (the request was cancelled): work for it is wasted. A
    /// long `predict` may check it and stop early.
    public var isClientConnected: Bool {
        switch storage {
        case .job(let job): !job.isCancelled
        case .fields: true
        }
    }
}

/// The values of a ``RequestContext``.
@usableFromInline
struct RequestFields: Sendable {
    var headers: [(name: String, value: String)]
    var path: String
    var method: String
    var serverName: String?
    var peerAddress: String?
    var traceHeaders: [(name: String, value: String)] = []
    var id: RequestID?
    /// Monotonic nanoseconds at which the request times out (`UInt64.max` for never).
    var deadline: UInt64 = .max
}

/// Whether a request is still wanted (a queued ``Job``).
protocol RequestPresence: AnyObject, Sendable {
    var isCancelled: Bool { get }
}
