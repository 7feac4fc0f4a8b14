import Logging

/// What watches a server run besides the access log: the application's callbacks (``LitCallback``) and the tracer
/// (``RequestTracer``). A run has one only when there is a callback or an active tracer; without it no request is
/// observed, timed or allocated for (the request path checks a nil field at each stage, nothing more).
///
/// Each request admitted to an API gets a ``RequestObservation``, which carries the events of its stages; answers
/// written come back through ``responseWritten(_:status:bodyBytes:)`` (the request pipeline's record of the
/// request). A throwing callback is logged with the request id and never fails the request.
final class ServerObserver: Sendable {
    let callbacks: [any LitCallback]
    let tracer: RequestTracer?
    let logger: Logger

    /// nil when there is nothing to observe: no callback and no active tracer.
    init?(callbacks: [any LitCallback], tracer: RequestTracer?, logger: Logger) {
        if callbacks.isEmpty && tracer == nil { return nil }
        self.callbacks = callbacks
        self.tracer = tracer
        self.logger = logger
    }

    /// Whether request heads' trace context fields are kept (a tracer is active).
    var tracesRequests: Bool { tracer != nil }

    // MARK: Server events (the thread that starts or stops the server)

    func serverDidStart(host: String, ports: [Int]) {
        let event = LitServerEvent(host: host, ports: ports)
        notify("serverDidStart", requestID: nil) { try $0.serverDidStart(event) }
    }

    func serverWillStop(host: String, ports: [Int]) {
        let event = LitServerEvent(host: host, ports: ports)
        notify("serverWillStop", requestID: nil) { try $0.serverWillStop(event) }
    }

    func serverDidStop(host: String, ports: [Int]) {
        let event = LitServerEvent(host: host, ports: ports)
        notify("serverDidStop", requestID: nil) { try $0.serverDidStop(event) }
    }

    // MARK: Requests (loop thread)

    /// A request was admitted to an API: starts its observation (its request span and, when it will wait for a
    /// worker, its queue span) and tells the callbacks. Loop thread, at admission.
    /// - Parameters:
    ///   - record: The pipeline's record of the request, which hears about its answer.
    ///   - now: Monotonic nanoseconds of the admission (the job's arrival).
    ///   - queued: The request waits for a predict worker (false for inline endpoints).
    func admit(_ context: RequestContext, record: RequestRecord?, now: UInt64, queued: Bool) -> RequestObservation {
        let observation = RequestObservation(
            observer: self,
            context: context,
            headAt: record?.startedAt ?? now,
            admittedAt: now,
            queued: queued
        )
        record?.observation = observation
        notify("requestReceived", requestID: context.requestID) { try $0.requestReceived(context) }
        return observation
    }

    /// A request's answer was written (the pipeline's ``RequestPipeline/onResponseWritten``). Loop thread.
    func responseWritten(_ record: RequestRecord, status: Int, bodyBytes: Int) {
        let now = Monotonic.nanoseconds()
        let observation = record.observation as? RequestObservation
        if !callbacks.isEmpty {
            let event = LitResponseEvent(
                method: record.method,
                path: record.path,
                requestID: record.requestID,
                status: status,
                bodyBytes: bodyBytes,
                latency: .nanoseconds(Int64(clamping: now &- record.startedAt)),
                queueWait: .nanoseconds(Int64(clamping: record.queueWaitNanoseconds.load(ordering: .relaxed))),
                request: observation?.context
            )
            notify("responseSent", requestID: record.requestID) { try $0.responseSent(event) }
        }
        observation?.answered(status: status, at: now)
    }

    /// Calls every callback in order; an error is logged (with the request id) and the next one is called.
    func notify(_ event: String, requestID: String?, _ call: (any LitCallback) throws -> Void) {
        for callback in callbacks {
            do {
                try call(callback)
            } catch {
                var metadata: Logger.Metadata = ["callback": .string(String(describing: type(of: callback)))]
                if let requestID { metadata["request_id"] = .string(requestID) }
                logger.error("callback \(type(of: callback)).\(event) failed: \(error)", metadata: metadata)
            }
        }
    }
}
