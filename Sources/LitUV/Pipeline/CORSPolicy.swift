/// Cross-origin resource sharing (the Fetch standard's CORS protocol) for browsers calling the server from pages of
/// other origins.
///
/// - A preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) is answered `204` with the
///   `Access-Control-Allow-*` fields when the origin, the method and every requested header are allowed, and `400`
///   without any CORS field otherwise. It is answered before the API key is checked (browsers send no credentials
///   on a preflight).
/// - Any other request with an allowed `Origin` gets `Access-Control-Allow-Origin` (and the credentials and
///   exposed-headers fields when configured) on its answer, whatever the answer is. A disallowed origin gets no CORS
///   field: the browser then withholds the answer from the page.
/// - Requests without `Origin` are not CORS requests and are left alone.
public struct CORSPolicy: Sendable {
    /// Allowed origins, exactly as browsers send them (`https://app.example.com`, `http://localhost:3000`), or
    /// `"*"` for any origin.
    public var allowedOrigins: [String]
    /// Methods a preflight may ask for. Default `GET`, `POST`, `OPTIONS`, `HEAD`.
    public var allowedMethods: [String]
    /// Request headers a preflight may ask for (case-insensitive), or `"*"` for any. Default `Content-Type`,
    /// `Authorization`, `X-API-Key`, `X-Request-Id`, `Accept`, `Accept-Encoding`, `traceparent`, `tracestate`.
    public var allowedHeaders: [String]
    /// Response headers the page may read besides the CORS-safelisted ones. Default `X-Request-Id`.
    public var exposedHeaders: [String]
    /// Allow credentials (cookies, HTTP authentication): sends `Access-Control-Allow-Credentials: true` and always
    /// echoes the origin instead of `*`. Default false.
    public var allowCredentials: Bool
    /// How long a browser may cache a preflight's answer. Default 600 s.
    public var maxAge: Duration

    /// Creates a policy; every parameter but the origins has a default.
    public init(
        allowedOrigins: [String],
        allowedMethods: [String] = ["GET", "POST", "OPTIONS", "HEAD"],
        allowedHeaders: [String] = [
            "Content-Type", "Authorization", "X-API-Key", "X-Request-Id", "Accept", "Accept-Encoding",
            "traceparent", "tracestate",
        ],
        exposedHeaders: [String] = ["X-Request-Id"],
        allowCredentials: Bool = false,
        maxAge: Duration = .seconds(600)
    ) {
        self.allowedOrigins = allowedOrigins
        self.allowedMethods = allowedMethods
        self.allowedHeaders = allowedHeaders
        self.exposedHeaders = exposedHeaders
        self.allowCredentials = allowCredentials
        self.maxAge = maxAge
    }
}

/// A ``CORSPolicy`` prepared for the request path: lowercased sets and the header values joined once.
struct CORSCheck: Sendable {
    private let anyOrigin: Bool
    private let origins: Set<[UInt8]>
    private let methods: Set<[UInt8]>
    private let anyHeader: Bool
    private let headers: Set<[UInt8]>
    private let allowMethodsValue: String
    private let allowHeadersValue: String
    private let exposeHeadersValue: String
    private let maxAgeValue: String
    private let allowCredentials: Bool

    /// - Throws: ``CORSPolicyError`` for a value that could not be sent in a header.
    init(_ policy: CORSPolicy) throws(CORSPolicyError) {
        for value in policy.allowedOrigins + policy.allowedMethods + policy.allowedHeaders + policy.exposedHeaders
        where value.isEmpty || HeaderValidation.problem(name: "X", value: value) != nil || value.contains(",") {
            throw CORSPolicyError(message: "invalid CORS value \"\(value)\"")
        }
        guard !policy.allowedOrigins.isEmpty else { throw CORSPolicyError(message: "no CORS origin is allowed") }
        anyOrigin = policy.allowedOrigins.contains("*")
        origins = Set(policy.allowedOrigins.map { Array($0.lowercased().utf8) })
        methods = Set(policy.allowedMethods.map { Array($0.utf8) })
        anyHeader = policy.allowedHeaders.contains("*")
        headers = Set(policy.allowedHeaders.map { Array($0.lowercased().utf8) })
        allowMethodsValue = policy.allowedMethods.joined(separator: ", ")
        allowHeadersValue = policy.allowedHeaders.filter { $0 != "*" }.joined(separator: ", ")
        exposeHeadersValue = policy.exposedHeaders.joined(separator: ", ")
        maxAgeValue = String(max(0, policy.maxAge.components.seconds))
        allowCredentials = policy.allowCredentials
    }

    /// What CORS does with a request that has an `Origin` field.
    enum Outcome {
        /// Not allowed: no CORS field is added (a preflight is answered 400).
        case disallowed(preflightDetail: String?)
        /// A preflight that is allowed: answer it with these fields.
        case preflight([(name: String, value: String)])
        /// An actual request from an allowed origin: add these fields to its answer.
        case allowed([(name: String, value: String)])
    }

    func evaluate(
        origin: Range<Int>,
        isPreflight: Bool,
        requestMethod: Range<Int>?,
        requestHeaders: Range<Int>?,
        in buffer: UnsafeRawBufferPointer
    ) -> Outcome {
        let originBytes = UnsafeRawBufferPointer(rebasing: buffer[origin])
        guard anyOrigin || origins.contains(originBytes.map(Self.lower)) else {
            return .disallowed(preflightDetail: isPreflight ? "Disallowed CORS origin" : nil)
        }
        let echo = allowCredentials || !anyOrigin
        var fields: [(name: String, value: String)] = [
            ("Access-Control-Allow-Origin", echo ? String(decoding: originBytes, as: UTF8.self) : "*")
        ]
        if echo { fields.append(("Vary", "Origin")) }
        if allowCredentials { fields.append(("Access-Control-Allow-Credentials", "true")) }
        guard isPreflight, let requestMethod else {
            if !exposeHeadersValue.isEmpty { fields.append(("Access-Control-Expose-Headers", exposeHeadersValue)) }
            return .allowed(fields)
        }
        guard methods.contains(Array(UnsafeRawBufferPointer(rebasing: buffer[requestMethod]))) else {
            return .disallowed(preflightDetail: "Disallowed CORS method")
        }
        var allowHeaders = allowHeadersValue
        if let requestHeaders {
            let requested = UnsafeRawBufferPointer(rebasing: buffer[requestHeaders])
            for name in requested.split(separator: UInt8(ascii: ",")) {
                let trimmed = name.drop { $0 == 0x20 || $0 == 0x09 }.reversed().drop { $0 == 0x20 || $0 == 0x09 }
                let lowered = Array(trimmed.reversed().map(Self.lower))
                guard !lowered.isEmpty else { continue }
                guard anyHeader || headers.contains(lowered) else {
                    return .disallowed(preflightDetail: "Disallowed CORS headers")
                }
            }
            if anyHeader { allowHeaders = String(decoding: requested, as: UTF8.self) }
        }
        fields.append(("Access-Control-Allow-Methods", allowMethodsValue))
        if !allowHeaders.isEmpty { fields.append(("Access-Control-Allow-Headers", allowHeaders)) }
        fields.append(("Access-Control-Max-Age", maxAgeValue))
        return .preflight(fields)
    }

    private static func lower(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }
}

/// A ``CORSPolicy`` value that cannot be used.
struct CORSPolicyError: Error, Sendable {
    let message: String
}
