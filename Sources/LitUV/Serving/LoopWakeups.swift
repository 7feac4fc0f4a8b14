/// The loops a worker finished jobs for and has not woken yet. A worker that answers many small requests in a row
/// wakes each loop once for all of them instead of once per answer: on a busy core every wake-up would otherwise
/// preempt the worker and switch threads for a single response. Pending wake-ups are sent before the worker sleeps,
/// after a batch that took ``maxDelay`` or longer (a slow model: a wake-up costs nothing next to it), after
/// ``maxPending`` batches, or once the oldest pending answer is ``maxDelay`` old, whichever comes first.
/// Worker thread only.
struct LoopWakeups {
    static let maxPending = 32
    /// Nanoseconds.
    static let maxDelay: UInt64 = 50_000
    private var sinks: [CompletionSink] = []
    private var pendingBatches = 0
    private var oldest: UInt64 = 0

    init() { sinks.reserveCapacity(4) }

    /// Records the loops of a batch whose answers were queued without a wake-up, and wakes them if it is time.
    /// - Parameter startedAt: Monotonic nanoseconds at which the batch started running.
    mutating func finished(_ batch: [Job], startedAt: UInt64) {
        let now = Monotonic.nanoseconds()
        if pendingBatches == 0 { oldest = now }
        pendingBatches += 1
        for job in batch {
            let sink = job.completions
            if sinks.last === sink { continue }
            var known = false
            for index in sinks.indices where sinks[index] === sink {
                known = true
                break
            }
            if !known { sinks.append(sink) }
        }
        if now &- startedAt >= Self.maxDelay || pendingBatches >= Self.maxPending || now &- oldest >= Self.maxDelay {
            flush()
        }
    }

    /// Wakes every loop with queued answers.
    mutating func flush() {
        guard pendingBatches > 0 else { return }
        for sink in sinks { sink.wakeLoop() }
        sinks.removeAll(keepingCapacity: true)
        pendingBatches = 0
    }
}
