/// Collects batches for one predict worker from the API's request queue.
///
/// The window opens when the *first request of the batch arrived* (not when the worker started waiting) and closes
/// at `maxBatchSize` requests or `batchTimeout` after that arrival, whichever comes first. With `batchTimeout` 0 it
/// takes what is already queued, up to `maxBatchSize`, without waiting. An idle worker sleeps in the ``Parker``.
struct BatchCollector {
    let queue: BoundedMPMCQueue<Job>
    let parker: Parker
    let maxBatchSize: Int
    /// Nanoseconds.
    let batchTimeout: UInt64
    /// Called for each job skipped because it was cancelled or expired while queued.
    let onSkipped: (Job) -> Void

    /// Fills `batch` (emptied first) with up to `maxBatchSize` started jobs.
    /// - Parameters:
    ///   - shouldStop: Polled after every wake-up; when true and nothing is queued, returns false.
    ///   - beforeSleeping: Runs whenever the worker is about to sleep for lack of jobs.
    /// - Returns: false when the worker should stop (the batch is then empty).
    func next(into batch: inout [Job], shouldStop: () -> Bool, beforeSleeping: () -> Void = {}) -> Bool {
        batch.removeAll(keepingCapacity: true)
        // The first job: sleep until one arrives.
        while batch.isEmpty {
            guard let job = parker.dequeue(from: queue, until: nil, stop: shouldStop, beforeParking: beforeSleeping)
            else {
                return false
            }
            take(job, into: &batch)
        }
        guard maxBatchSize > 1 else { return true }
        let windowEnd = batch[0].arrival &+ batchTimeout
        while batch.count < maxBatchSize {
            if let job = queue.tryDequeue() {
                take(job, into: &batch)
                continue
            }
            let now = Monotonic.nanoseconds()
            guard batchTimeout > 0, now < windowEnd else { break }
            let deadline = ContinuousClock.now.advanced(by: .nanoseconds(Int64(windowEnd - now)))
            guard
                let job = parker.dequeue(
                    from: queue,
                    until: deadline,
                    stop: shouldStop,
                    beforeParking: beforeSleeping
                )
            else { break }
            take(job, into: &batch)
        }
        return true
    }

    private func take(_ job: Job, into batch: inout [Job]) {
        if job.tryStart(now: Monotonic.nanoseconds()) {
            batch.append(job)
        } else {
            onSkipped(job)
        }
    }
}
