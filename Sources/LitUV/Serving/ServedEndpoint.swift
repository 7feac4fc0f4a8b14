/// One endpoint of a running server, serving side: it admits every request whose body is complete (builds its
/// ``RequestContext`` and, for a worker, its ``Job``), answers it inline or queues it, and runs the endpoint's
/// lifecycle (start, health, stop, join). The request path enters Serving here and nowhere else.
final class ServedEndpoint: Sendable {
    /// The two ways an endpoint answers.
    enum Kind: Sendable {
        /// Predict worker threads fed by a bounded queue (the default).
        case pooled(any PredictPool)
        /// One copy of the API per I/O loop, answering where the request was read (``LitEndpoint/runsInline``).
        case inline(any InlinePredictor)
    }

    let settings: LitEndpointSettings
    let statistics: EndpointStatistics
    let kind: Kind
    /// The API's `authorize`, run at head time.
    let authorizer: Authorizer
    /// Nanoseconds from arrival to the request's deadline, or nil for none.
    private let timeoutNanoseconds: UInt64?
    private let inFlight: InFlightCounter
    /// The pool's engine streams with flow control: each job gets a ``Job/creditWaiter``.
    private let jobsStream: Bool
    /// A continuous-batching endpoint's step-loop parker: every job of it wakes the one step thread.
    private let sharedCreditWaiter: Parker?
    /// The pool's engine answers from tasks: each job gets a ``Job/asyncSlot``.
    private let jobsRunAsync: Bool
    /// The run's callbacks and tracer; nil when there are none (then nothing is observed per request).
    private let observer: ServerObserver?

    init(
        settings: LitEndpointSettings,
        statistics: EndpointStatistics,
        kind: Kind,
        authorizer: Authorizer,
        timeoutNanoseconds: UInt64?,
        inFlight: InFlightCounter,
        observer: ServerObserver? = nil
    ) {
        self.observer = observer
        self.settings = settings
        self.statistics = statistics
        self.kind = kind
        self.authorizer = authorizer
        self.timeoutNanoseconds = timeoutNanoseconds
        self.inFlight = inFlight
        if case .pooled(let pool) = kind {
            jobsStream = pool.streamsOutput
            jobsRunAsync = pool.runsAsync
            sharedCreditWaiter = (pool as? any GenerativePool)?.creditWaiter
        } else {
            jobsStream = false
            jobsRunAsync = false
            sharedCreditWaiter = nil
        }
    }

    // MARK: Admission (loop thread)

    /// Admits one request whose body is complete. Loop `loop`'s thread only.
    /// - Returns: The answer now (inline endpoints, a full queue), or the queued job the connection waits for.
    func admit(
        body: [UInt8],
        capture: RequestCapture?,
        decoration: ResponseDecoration?,
        responder: HTTPResponder,
        completions: CompletionSink,
        loop: Int
    ) -> HTTPDispatch {
        let now = Monotonic.nanoseconds()
        let deadline = timeoutNanoseconds.map { now &+ $0 } ?? .max
        var fields = RequestFields(
            headers: capture?.headers ?? [],
            path: settings.path,
            method: "POST",
            serverName: responder.serverName
        )
        fields.id = decoration?.requestID
        fields.deadline = deadline
        if settings.needsRequestHeaders { fields.peerAddress = responder.connection.peerAddress }
        if let traceHeaders = capture?.traceHeaders, !traceHeaders.isEmpty { fields.traceHeaders = traceHeaders }
        switch kind {
        case .inline(let predictor):
            let observation = observer?.admit(
                RequestContext(fields: fields),
                record: decoration?.observer as? RequestRecord,
                now: now,
                queued: false
            )
            return .respond(
                predictor.respond(
                    loop: loop,
                    body: body,
                    context: RequestContext(fields: fields),
                    arrival: now,
                    deadline: deadline,
                    observation: observation
                )
            )
        case .pooled(let pool):
            var observation: RequestObservation?
            if let observer {
                let record = decoration?.observer as? RequestRecord
                observation = observer.admit(RequestContext(fields: fields), record: record, now: now, queued: true)
            }
            let job = Job(
                body: body,
                arrival: now,
                deadline: deadline,
                responder: responder,
                completions: completions,
                statistics: statistics,
                fields: fields,
                record: decoration?.observer as? RequestRecord,
                compressor: decoration?.compressor,
                observation: observation,
                creditWaiter: jobsStream && !jobsRunAsync ? (sharedCreditWaiter ?? Parker()) : nil,
                asyncSlot: jobsRunAsync ? AsyncJobSlot() : nil,
                bodyHead: settings.requestBody != nil ? capture : nil
            )
            inFlight.increment()
            if pool.submit(job) {
                return .pending(job)
            }
            inFlight.decrement()
            return .respond(
                .error(
                    .serviceUnavailable,
                    "Server is busy: the request queue is full",
                    headers: [("Retry-After", "1")]
                )
            )
        }
    }

    /// The context ``LitAPI/authorize(_:)`` sees: everything about the head, headers and the client's address
    /// included. Loop thread only, while the head's bytes are valid.
    func authorizationContext(
        _ head: HTTPRequestHead,
        in buffer: UnsafeRawBufferPointer,
        connection: HTTPServerConnection,
        requestID: RequestID?
    ) -> RequestContext {
        func text(_ range: Range<Int>) -> String {
            String(decoding: UnsafeRawBufferPointer(rebasing: buffer[range]), as: UTF8.self)
        }
        var context = RequestContext(
            headers: head.headers.map { (text($0.name), text($0.value)) },
            path: settings.path,
            method: text(head.methodRange),
            serverName: connection.serverName,
            peerAddress: connection.peerAddress
        )
        context.id = requestID
        return context
    }

    /// Wakes an idle worker if this loop iteration queued jobs (pooled endpoints; inline ones have none).
    func wakeWorkers() {
        if case .pooled(let pool) = kind { pool.wakeWorkers() }
    }

    // MARK: Lifecycle

    /// The inline side, when the endpoint answers on the I/O loops.
    var inlinePredictor: (any InlinePredictor)? {
        if case .inline(let predictor) = kind { return predictor }
        return nil
    }

    /// Starts the worker threads of a pooled endpoint (inline copies are set up by the server on each loop).
    func start(onSetupFailure: @escaping @Sendable (any Error) -> Void) throws(ThreadCreationError) {
        if case .pooled(let pool) = kind { try pool.start(onSetupFailure: onSetupFailure) }
    }

    /// Every worker or loop copy finished `setup` and is healthy.
    var isHealthy: Bool {
        switch kind {
        case .pooled(let pool): pool.isHealthy
        case .inline(let predictor): predictor.isHealthy
        }
    }

    /// Requests waiting for a worker (always 0 inline).
    var queueDepth: Int {
        if case .pooled(let pool) = kind { return pool.queueDepth }
        return 0
    }

    /// Worker threads still running (always 0 inline).
    var liveWorkerCount: Int {
        if case .pooled(let pool) = kind { return pool.liveWorkerCount }
        return 0
    }

    /// No new prediction starts: workers finish what is queued; inline requests are answered 503.
    func stop() {
        switch kind {
        case .pooled(let pool): pool.stop()
        case .inline(let predictor): predictor.stop()
        }
    }

    /// Takes every job still queued (after the drain timeout).
    func drainQueue() -> [Job] {
        if case .pooled(let pool) = kind { return pool.drainQueue() }
        return []
    }

    /// Waits for the worker threads (their `teardown` has run when this returns).
    func join() {
        if case .pooled(let pool) = kind { pool.join() }
    }
}
