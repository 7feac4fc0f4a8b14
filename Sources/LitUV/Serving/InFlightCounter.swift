import Synchronization

/// Predictions handed to a worker and not yet settled (answered, or abandoned before `predict`), across every
/// endpoint and loop of a server run. The drain waits for it to reach 0 (sleeping, woken by the last settlement);
/// `/metrics` shows it.
final class InFlightCounter: Sendable {
    private let count = Atomic<Int>(0)
    /// Wakes ``waitForZero(until:)``.
    private let zero = Parker()

    /// A job was queued.
    @inline(__always)
    func increment() { count.add(1, ordering: .relaxed) }

    /// A job could not be queued after all, or it was settled. The one that brings the count to 0 wakes a waiting
    /// drain (a fence and a load when nobody waits).
    @inline(__always)
    func decrement() {
        if count.subtract(1, ordering: .sequentiallyConsistent).newValue == 0 { zero.unpark() }
    }

    /// The current number.
    var value: Int { count.load(ordering: .acquiring) }

    /// Sleeps until the count is 0 or `deadline` passes. One waiter at a time (the shutdown sequence).
    /// - Returns: True when the count reached 0.
    func waitForZero(until deadline: ContinuousClock.Instant) -> Bool {
        zero.wait(until: deadline) { count.load(ordering: .sequentiallyConsistent) == 0 }
    }
}
