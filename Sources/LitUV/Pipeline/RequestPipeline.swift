import Logging

/// The steps every request head passes on its I/O loop before it is routed to a model, in this order:
///
/// 1. **Request id** (``RequestID``): the client's valid `X-Request-Id`, else a generated one.
/// 2. **Access log and callbacks**: a ``RequestRecord`` that hears about the answer (refusals included).
/// 3. **Trusted hosts** (``TrustedHosts``): another `Host` is refused `400`.
/// 4. **CORS** (``CORSCheck``): preflights answered; allowed origins get their fields on the answer.
/// 5. **API key**: `X-API-Key: <key>` or `Authorization: Bearer <key>` (probe routes exempt); else `401`.
/// 6. **Compression**: whether the client accepts gzip.
/// 7. **Middleware** (``LitMiddleware``), in order.
///
/// Refusals are answered without reading the request's body (``HTTPRoute/refuse(_:)``). Built once per server run
/// and shared read-only by the loops; per-loop scratch lives in ``PipelineLoopState``. With every step off,
/// ``isIdle`` is true and the server skips the pipeline entirely: no scan, no allocation.
final class RequestPipeline: Sendable {
    let requestIDs: Bool
    let trustedHosts: TrustedHosts?
    let cors: CORSCheck?
    let apiKey: APIKeyDigest?
    /// Set when the server compresses answers.
    let compressor: ResponseCompressor?
    let accessLog: AccessLog?
    let middleware: [any LitMiddleware]
    let logger: Logger
    /// Nothing to do for any request.
    let isIdle: Bool
    /// Told when a request's answer was written (for callbacks); nil when none listens.
    let onResponseWritten: (@Sendable (RequestRecord, Int, Int) -> Void)?

    init(
        requestIDs: Bool,
        trustedHosts: TrustedHosts?,
        cors: CORSCheck?,
        apiKey: APIKeyDigest?,
        compressor: ResponseCompressor?,
        accessLog: AccessLog?,
        middleware: [any LitMiddleware],
        logger: Logger,
        onResponseWritten: (@Sendable (RequestRecord, Int, Int) -> Void)? = nil
    ) {
        self.requestIDs = requestIDs
        self.trustedHosts = trustedHosts
        self.cors = cors
        self.apiKey = apiKey
        self.compressor = compressor
        self.accessLog = accessLog
        self.middleware = middleware
        self.logger = logger
        self.onResponseWritten = onResponseWritten
        isIdle =
            !requestIDs && trustedHosts == nil && cors == nil && apiKey == nil && compressor == nil && accessLog == nil
            && middleware.isEmpty && onResponseWritten == nil
    }

    /// The outcome for one head: an answer now (or nil to route the request), and what to add to its answer.
    struct Outcome {
        var answer: HTTPRoute?
        /// Nil when nothing is added.
        var decoration: ResponseDecoration?
    }

    /// Runs the steps for one head. Loop thread only.
    /// - Parameters:
    ///   - exemptFromAPIKey: The route does not need the API key (probes, the shutdown route).
    func run(
        _ head: HTTPRequestHead,
        in buffer: UnsafeRawBufferPointer,
        exemptFromAPIKey: Bool,
        connection: HTTPServerConnection,
        loop: PipelineLoopState
    ) -> Outcome {
        var decoration = LazyDecoration()
        let answer = runSteps(
            head,
            in: buffer,
            exemptFromAPIKey: exemptFromAPIKey,
            connection: connection,
            loop: loop,
            decoration: &decoration
        )
        return Outcome(answer: answer, decoration: decoration.value)
    }

    /// The decoration, made on first use: steps that add nothing (a middleware that lets every request through)
    /// allocate nothing.
    private struct LazyDecoration {
        var value: ResponseDecoration?
        mutating func made() -> ResponseDecoration {
            if let value { return value }
            let made = ResponseDecoration()
            value = made
            return made
        }
    }

    private func runSteps(
        _ head: HTTPRequestHead,
        in buffer: UnsafeRawBufferPointer,
        exemptFromAPIKey: Bool,
        connection: HTTPServerConnection,
        loop: PipelineLoopState,
        decoration: inout LazyDecoration
    ) -> HTTPRoute? {
        let fields = PipelineFields(head, in: buffer)
        func slice(_ range: Range<Int>) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: buffer[range]) }

        if requestIDs {
            decoration.made().requestID =
                fields.requestID.flatMap { RequestID.received(slice($0)) } ?? loop.ids.next()
        }
        if accessLog != nil || onResponseWritten != nil {
            let id = decoration.value?.requestID
            decoration.made().observer = makeRecord(head, in: buffer, connection: connection, id: id)
        }
        if let trustedHosts, !trustedHosts.allows(fields.host.map(slice)) {
            return .refuse(.error(.badRequest, "Invalid host header"))
        }
        if let cors, let origin = fields.origin {
            let isPreflight = head.method == .options && fields.corsRequestMethod != nil
            switch cors.evaluate(
                origin: origin,
                isPreflight: isPreflight,
                requestMethod: fields.corsRequestMethod,
                requestHeaders: fields.corsRequestHeaders,
                in: buffer
            ) {
            case .disallowed(let detail):
                if let detail { return .refuse(.error(.badRequest, detail)) }
            case .preflight(let headers):
                return .refuse(HTTPResponse(status: HTTPStatus(204), contentType: .none, body: [], headers: headers))
            case .allowed(let headers):
                decoration.made().headers.append(contentsOf: headers)
            }
        }
        if let apiKey, !exemptFromAPIKey {
            if let refusal = checkAPIKey(apiKey, head: head, fields: fields, in: buffer, loop: loop) {
                return .refuse(refusal)
            }
        }
        if let compressor {
            let made = decoration.made()
            made.variesByEncoding = true
            if let accept = fields.acceptEncoding, AcceptEncoding.acceptsGzip(slice(accept)) {
                made.compressor = compressor
            }
        }
        if !middleware.isEmpty {
            return runMiddleware(head, in: buffer, connection: connection, loop: loop, decoration: &decoration)
        }
        return nil
    }

    private func checkAPIKey(
        _ key: APIKeyDigest,
        head: HTTPRequestHead,
        fields: PipelineFields,
        in buffer: UnsafeRawBufferPointer,
        loop: PipelineLoopState
    ) -> HTTPResponse? {
        let challenge = [(name: "WWW-Authenticate", value: #"Bearer realm="lituv""#)]
        let presented: UnsafeRawBufferPointer
        if let range = fields.apiKey, !fields.repeatedAPIKey {
            presented = UnsafeRawBufferPointer(rebasing: buffer[range])
        } else if fields.apiKey == nil, let range = head.authorization {
            guard let token = BearerToken.parse(UnsafeRawBufferPointer(rebasing: buffer[range])) else {
                return .error(
                    .unauthorized,
                    "Invalid API key: use X-API-Key or Authorization: Bearer",
                    headers: challenge
                )
            }
            presented = token
        } else if fields.repeatedAPIKey {
            return .error(.unauthorized, "Invalid API key: send one X-API-Key field", headers: challenge)
        } else {
            return .error(.unauthorized, "Missing API key: send X-API-Key or Authorization: Bearer", headers: challenge)
        }
        guard key.matches(presented) else {
            return .error(.unauthorized, "Invalid API key", headers: challenge)
        }
        return nil
    }

    private func makeRecord(
        _ head: HTTPRequestHead,
        in buffer: UnsafeRawBufferPointer,
        connection: HTTPServerConnection,
        id: RequestID?
    ) -> RequestRecord {
        let accessLog = accessLog
        let callbacks = onResponseWritten
        return RequestRecord(
            method: String(decoding: UnsafeRawBufferPointer(rebasing: buffer[head.methodRange]), as: UTF8.self),
            path: String(decoding: UnsafeRawBufferPointer(rebasing: buffer[head.path]), as: UTF8.self),
            requestID: id?.string,
            peerAddress: accessLog == nil ? nil : connection.peerAddress,
            startedAt: Monotonic.nanoseconds(),
            onWritten: { record, status, bytes in
                accessLog?.write(record, status: status, bodyBytes: bytes, now: Monotonic.nanoseconds())
                callbacks?(record, status, bytes)
            }
        )
    }

    private func runMiddleware(
        _ head: HTTPRequestHead,
        in buffer: UnsafeRawBufferPointer,
        connection: HTTPServerConnection,
        loop: PipelineLoopState,
        decoration: inout LazyDecoration
    ) -> HTTPRoute? {
        let request = loop.request
        request.set(head: head, buffer: buffer, connection: connection, requestID: decoration.value?.requestID)
        defer { request.clear() }
        var added = ResponseHeaderFields()
        for step in middleware {
            let decision = step.handle(request, response: &added)
            if let problem = added.problem {
                logger.error("middleware \(type(of: step)) added a header that cannot be sent: \(problem)")
                return .refuse(.error(.internalServerError, "Internal server error"))
            }
            if case .respond(let answer) = decision {
                if !added.fields.isEmpty { decoration.made().headers.append(contentsOf: added.fields) }
                switch answer.validated() {
                case .success(let response):
                    return .refuse(response)
                case .failure(let error):
                    logger.error("middleware \(type(of: step)) answered a response that cannot be sent: \(error)")
                    return .refuse(.error(.internalServerError, "Internal server error"))
                }
            }
        }
        if !added.fields.isEmpty { decoration.made().headers.append(contentsOf: added.fields) }
        return nil
    }
}

/// A loop's own scratch for the pipeline: the request-id generator and the view handed to
/// middleware. Loop thread only.
final class PipelineLoopState {
    var ids = RequestIDGenerator()
    let request = IncomingRequest()
}
