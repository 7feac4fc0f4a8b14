import Tracing

/// One request watched by the callbacks and the tracer (``ServerObserver``), from its admission to its answer: the
/// request span, the span of the stage in progress, and the stage events.
///
/// The stage methods are what the request path calls, and only when the request has an observation
/// (`job.observation` is nil otherwise): they are not inlinable, so the `@inlinable` worker code
/// (``PredictBatch/run(_:on:errors:)``) keeps only the nil check. Each "will" method tells the callbacks first and
/// then reads the clock; each "did" method reads the clock first: the callbacks' own time is not part of a stage.
@usableFromInline
final class RequestObservation: @unchecked Sendable {
    // Invariant for @unchecked Sendable: the `let`s are set at admission on the loop. `queueSpan` and `stageSpan` are
    // used by one thread at a time: the loop at admission, then the worker that runs the job (the job reaches it
    // through the queue, a release/acquire hand-off) or, inline, the same loop. `answeredAt` is written on the loop
    // when the answer is written. `deinit` runs after the last reference is gone, after all of them.

    let observer: ServerObserver
    /// The request's context, as the hooks get it (without the job, so it does not keep its job alive).
    let context: RequestContext
    private let requestSpan: (any Span)?
    /// From admission until the worker takes the job.
    private var queueSpan: (any Span)?
    /// The span of the stage running now (decode, predict or encode).
    private var stageSpan: (any Span)?
    private var answered = false

    init(observer: ServerObserver, context: RequestContext, headAt: UInt64, admittedAt: UInt64, queued: Bool) {
        self.observer = observer
        self.context = context
        if let tracer = observer.tracer {
            let span = tracer.startRequestSpan(for: context, startedAt: headAt)
            requestSpan = span
            if queued {
                queueSpan = tracer.startStageSpan("queue", under: span, at: admittedAt, requestID: context.requestID)
            }
        } else {
            requestSpan = nil
        }
    }

    deinit {
        // A request whose answer was never written (its client left, or the server stopped): its spans still end.
        let now = Monotonic.nanoseconds()
        if let queueSpan { endSpan(queueSpan, at: now) }
        if let stageSpan { endSpan(stageSpan, at: now) }
        if let requestSpan, !answered {
            requestSpan.attributes["lituv.abandoned"] = true
            endSpan(requestSpan, at: now)
        }
    }

    // MARK: Stages (the worker, or the loop for inline endpoints)

    /// `decodeRequest` is about to run. For a queued job this is where its queue wait ends (when the worker took it).
    /// - Parameter job: The request's job (nil inline).
    /// - Returns: The stage's start, for ``didDecode(since:error:)``.
    @usableFromInline
    func willDecode(_ job: Job?) -> UInt64 {
        if let queueSpan, let job {
            let wait = job.record?.queueWaitNanoseconds.load(ordering: .relaxed) ?? 0
            endSpan(queueSpan, at: job.arrival &+ wait)
            self.queueSpan = nil
        }
        observer.notify("willDecodeRequest", requestID: context.requestID) { try $0.willDecodeRequest(context) }
        return startStage("decodeRequest")
    }

    /// `decodeRequest` returned (`error` nil) or threw.
    @usableFromInline
    func didDecode(since start: UInt64, error: (any Error)?) {
        let timing = endStage(since: start, batchSize: 1, error: error)
        observer.notify("didDecodeRequest", requestID: context.requestID) { try $0.didDecodeRequest(context, timing) }
    }

    /// `encodeResponse` is about to run.
    /// - Returns: The stage's start, for ``didEncode(since:error:)``.
    @usableFromInline
    func willEncode() -> UInt64 {
        observer.notify("willEncodeResponse", requestID: context.requestID) { try $0.willEncodeResponse(context) }
        return startStage("encodeResponse")
    }

    /// `encodeResponse` returned (`error` nil) or threw.
    @usableFromInline
    func didEncode(since start: UInt64, error: (any Error)?) {
        let timing = endStage(since: start, batchSize: 1, error: error)
        observer.notify("didEncodeResponse", requestID: context.requestID) {
            try $0.didEncodeResponse(context, timing)
        }
    }

    /// A stream's output is about to be encoded (inside `predict`): the encode events, without a span of its own
    /// (one span per token would swamp a trace).
    /// - Returns: The start, for ``didEncodeOutput(since:error:)``.
    func willEncodeOutput() -> UInt64 {
        observer.notify("willEncodeResponse", requestID: context.requestID) { try $0.willEncodeResponse(context) }
        return Monotonic.nanoseconds()
    }

    /// A stream's output was encoded (`error` nil) or its encoding threw.
    func didEncodeOutput(since start: UInt64, error: (any Error)?) {
        let timing = LitStageTiming(
            duration: .nanoseconds(Int64(clamping: Monotonic.nanoseconds() &- start)),
            batchSize: 1,
            error: error
        )
        observer.notify("didEncodeResponse", requestID: context.requestID) {
            try $0.didEncodeResponse(context, timing)
        }
    }

    /// `predict` is about to run on one request (inline, or a batch of one).
    @usableFromInline
    func willPredict(batchSize: Int) -> UInt64 {
        notifyWillPredict(batchSize: batchSize)
        let now = Monotonic.nanoseconds()
        startPredictSpan(at: now, batchSize: batchSize)
        return now
    }

    /// `predict` returned (`error` nil) or threw.
    @usableFromInline
    func didPredict(since start: UInt64, batchSize: Int, error: (any Error)?) {
        didPredict(since: start, now: Monotonic.nanoseconds(), batchSize: batchSize, error: error)
    }

    /// `predict` is about to run on a batch: the events of each of its requests that is observed.
    /// - Returns: The stage's start, for ``didPredict(_:since:error:)``.
    @usableFromInline
    static func willPredict(_ jobs: [Job]) -> UInt64 {
        for job in jobs { job.observation?.notifyWillPredict(batchSize: jobs.count) }
        let now = Monotonic.nanoseconds()
        for job in jobs { job.observation?.startPredictSpan(at: now, batchSize: jobs.count) }
        return now
    }

    /// `predict` on a batch returned (`error` nil) or threw.
    @usableFromInline
    static func didPredict(_ jobs: [Job], since start: UInt64, error: (any Error)?) {
        let now = Monotonic.nanoseconds()
        for job in jobs { job.observation?.didPredict(since: start, now: now, batchSize: jobs.count, error: error) }
    }

    // MARK: Entry points for `PredictBatch` (a job without an observation is skipped)

    /// ``willDecode(_:)`` for `job`'s observation; 0 when it has none.
    @usableFromInline
    static func willDecode(_ job: Job) -> UInt64 {
        job.observation?.willDecode(job) ?? 0
    }

    /// ``didDecode(since:error:)`` for `job`'s observation.
    @usableFromInline
    static func didDecode(_ job: Job, since start: UInt64, error: (any Error)?) {
        job.observation?.didDecode(since: start, error: error)
    }

    /// ``willEncode()`` for `job`'s observation; 0 when it has none.
    @usableFromInline
    static func willEncode(_ job: Job) -> UInt64 {
        job.observation?.willEncode() ?? 0
    }

    /// ``didEncode(since:error:)`` for `job`'s observation.
    @usableFromInline
    static func didEncode(_ job: Job, since start: UInt64, error: (any Error)?) {
        job.observation?.didEncode(since: start, error: error)
    }

    // MARK: The answer (loop thread)

    /// The answer was written: the request span ends with its status.
    func answered(status: Int, at now: UInt64) {
        guard let requestSpan, !answered else { return }
        answered = true
        requestSpan.attributes["http.response.status_code"] = status
        if status >= 500 { requestSpan.setStatus(SpanStatus(code: .error)) }
        endSpan(requestSpan, at: now)
    }

    // MARK: Helpers

    private func notifyWillPredict(batchSize: Int) {
        observer.notify("willPredict", requestID: context.requestID) {
            try $0.willPredict(context, batchSize: batchSize)
        }
    }

    private func startPredictSpan(at now: UInt64, batchSize: Int) {
        guard let requestSpan, let tracer = observer.tracer else { return }
        let span = tracer.startStageSpan("predict", under: requestSpan, at: now, requestID: context.requestID)
        span.attributes["lituv.batch_size"] = batchSize
        stageSpan = span
    }

    private func didPredict(since start: UInt64, now: UInt64, batchSize: Int, error: (any Error)?) {
        if let stageSpan {
            endSpan(stageSpan, at: now, error: error)
            self.stageSpan = nil
        }
        let timing = LitStageTiming(
            duration: .nanoseconds(Int64(clamping: now &- start)),
            batchSize: batchSize,
            error: error
        )
        observer.notify("didPredict", requestID: context.requestID) { try $0.didPredict(context, timing) }
    }

    private func startStage(_ name: String) -> UInt64 {
        let now = Monotonic.nanoseconds()
        if let requestSpan, let tracer = observer.tracer {
            stageSpan = tracer.startStageSpan(name, under: requestSpan, at: now, requestID: context.requestID)
        }
        return now
    }

    private func endStage(since start: UInt64, batchSize: Int, error: (any Error)?) -> LitStageTiming {
        let now = Monotonic.nanoseconds()
        if let stageSpan {
            endSpan(stageSpan, at: now, error: error)
            self.stageSpan = nil
        }
        return LitStageTiming(duration: .nanoseconds(Int64(clamping: now &- start)), batchSize: batchSize, error: error)
    }
}
