import Synchronization

/// One request to an API travelling from an I/O loop to a predict worker and back.
///
/// Its `state` decides who answers: the worker may start it only while it is `queued`; the loop cancels it when
/// the client leaves or its deadline passes, and then answers (504) or drops it itself.
@usableFromInline
final class Job: PendingResponse, RequestPresence, @unchecked Sendable {
    // Invariant for @unchecked Sendable: `body`, `deadline`, `arrival`, `responder`, `fields`, `completions`,
    // `record`, `compressor` and `observation` are immutable; everything else the worker hands to the loop travels
    // inside `Completion` values through the completion queue (a release/acquire hand-off); `state` and
    // `streamCredit` are atomic.

    enum State: UInt8 {
        case queued, running, cancelled
    }

    @usableFromInline let body: [UInt8]
    /// Monotonic nanoseconds at which the request times out (`UInt64.max` for never).
    let deadline: UInt64
    /// Monotonic nanoseconds at which the request was complete (the batch window opens here).
    let arrival: UInt64
    let responder: HTTPResponder
    let completions: CompletionSink
    let statistics: EndpointStatistics
    /// The request's context values (method, path, headers, id, deadline); ``hookContext`` is the context itself.
    let fields: RequestFields
    /// The request's record for the access log and callbacks, when they are on.
    let record: RequestRecord?
    /// Set when the client accepts gzip and the server compresses: the worker compresses the answer it makes.
    let compressor: ResponseCompressor?
    /// The callbacks' and the tracer's view of the request, when either is on (nil otherwise: the stages then only
    /// check this field).
    @usableFromInline let observation: RequestObservation?
    private let state = Atomic<UInt8>(State.queued.rawValue)
    /// Streamed bytes handed to the loop and not yet accepted by the kernel (flow control).
    let streamCredit = Atomic<Int>(0)
    /// For streamed answers: where the worker sleeps while ``streamCredit`` is over its limit; the loop wakes it when
    /// bytes reach the kernel or the job is cancelled. Nil for jobs of engines that do not stream.
    let creditWaiter: Parker?
    /// For jobs of async engines: the link to the task that answers the job (``Job/cancel()`` cancels it) and where
    /// an async stream waits for credit. Nil for the synchronous engines.
    let asyncSlot: AsyncJobSlot?
    /// What the loop captured for an endpoint with a body kind (its `Content-Type`, the packed header fields, the
    /// multipart sink); nil for JSON endpoints. On the job, not in ``fields``, so that the fields JSON requests copy
    /// around stay as they were.
    let bodyHead: RequestCapture?

    init(
        body: [UInt8],
        arrival: UInt64,
        deadline: UInt64,
        responder: HTTPResponder,
        completions: CompletionSink,
        statistics: EndpointStatistics,
        fields: RequestFields,
        record: RequestRecord? = nil,
        compressor: ResponseCompressor? = nil,
        observation: RequestObservation? = nil,
        creditWaiter: Parker? = nil,
        asyncSlot: AsyncJobSlot? = nil,
        bodyHead: RequestCapture? = nil
    ) {
        self.body = body
        self.arrival = arrival
        self.deadline = deadline
        self.responder = responder
        self.completions = completions
        self.statistics = statistics
        self.fields = fields
        self.record = record
        self.compressor = compressor
        self.observation = observation
        self.creditWaiter = creditWaiter
        self.asyncSlot = asyncSlot
        self.bodyHead = bodyHead
    }

    /// Worker side: claims the job for `predict`. False when it was cancelled or its deadline already passed.
    func tryStart(now: UInt64) -> Bool {
        guard now < deadline else { return false }
        let started = state.compareExchange(
            expected: State.queued.rawValue,
            desired: State.running.rawValue,
            ordering: .acquiringAndReleasing
        ).exchanged
        if started, let record { record.queueWaitNanoseconds.store(now &- arrival, ordering: .relaxed) }
        return started
    }

    /// The context hooks get: a view of this job (one reference to copy; inlined, so a hook that ignores its context
    /// costs nothing).
    @inlinable
    var hookContext: RequestContext { RequestContext(job: self) }

    /// Loop side: the answer is no longer wanted. A queued job is then skipped by the workers, and a streaming
    /// `emit` throws `CancellationError`; an async job's task is cancelled (``AsyncJobSlot``).
    func cancel() {
        state.store(State.cancelled.rawValue, ordering: .sequentiallyConsistent)
        creditWaiter?.unpark()
        asyncSlot?.cancel()
    }

    var isCancelled: Bool { state.load(ordering: .acquiring) == State.cancelled.rawValue }

    /// Loop side: `count` streamed bytes reached the kernel.
    func streamBytesDelivered(_ count: Int) {
        streamCredit.subtract(count, ordering: .sequentiallyConsistent)
        creditWaiter?.unpark()
        asyncSlot?.signal()
    }

    /// Worker side: hands the whole answer back to the job's loop.
    /// - Parameter wakeLoop: false when the caller wakes the loop later (``LoopWakeups``).
    func finish(_ response: HTTPResponse, wakeLoop: Bool = true) {
        var response = response
        compressor?.compress(&response)
        completions.deliver(.finished(self, response), wake: wakeLoop)
    }

    /// Worker side: one event of a streamed answer.
    func stream(_ event: HTTPStreamEvent) {
        completions.deliver(.stream(self, event))
    }
}
