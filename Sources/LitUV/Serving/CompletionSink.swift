/// A message from a worker to a loop.
enum Completion {
    /// The whole answer; the job is settled.
    case finished(Job, HTTPResponse)
    /// Part of a streamed answer; `.end` and `.fail` settle the job.
    case stream(Job, HTTPStreamEvent)
}

/// Where workers' answers go: the owning loop's completion queue (one wake-up drains many completions).
final class CompletionSink: Sendable {
    private let queue = MPSCQueue<Completion>()
    private let loop: EventLoop
    /// Decremented for each job that was handed over (finished or abandoned): the server's in-flight accounting.
    private let inFlight: InFlightCounter

    init(loop: EventLoop, inFlight: InFlightCounter) {
        self.loop = loop
        self.inFlight = inFlight
    }

    /// Any thread: queues a completion and wakes the loop (unless `wake` is false: then the caller must call
    /// ``wakeLoop()`` later).
    func deliver(_ completion: Completion, wake: Bool = true) {
        queue.enqueue(completion)
        if wake { loop.wake() }
    }

    /// Any thread: wakes the loop to drain what was delivered without a wake-up.
    func wakeLoop() {
        loop.wake()
    }

    /// Any thread: the job will never be answered by a worker (cancelled or expired before predict).
    func abandon(_ job: Job) {
        job.statistics.recordSkipped()
        inFlight.decrement()
    }

    /// Loop thread: writes every answer that arrived.
    func drain() {
        while let completion = queue.dequeue() {
            switch completion {
            case .finished(let job, let response):
                job.statistics.latency.observe(Double(Monotonic.nanoseconds() &- job.arrival) / 1e9)
                job.responder.complete(response)
                inFlight.decrement()
            case .stream(let job, let event):
                job.responder.stream(event)
                switch event {
                case .end, .fail:
                    job.statistics.latency.observe(Double(Monotonic.nanoseconds() &- job.arrival) / 1e9)
                    inFlight.decrement()
                case .head, .chunk:
                    break
                }
            }
        }
    }
}
