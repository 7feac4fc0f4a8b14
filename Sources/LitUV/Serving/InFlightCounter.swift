import Synchronization

/// Predictions handed to a worker and not yet settled (answered, or abandoned before `predict`), across every
/// endpoint and loop of a server run. The drain sleeps until it reaches 0, woken through `waiter` by the settlement
/// that brings it there; `/metrics` shows it.
final class InFlightCounter: Sendable {
    private let count = Atomic<Int>(0)
    /// Where the shutdown sequence sleeps; unparked whenever the count reaches 0.
    private let waiter: Parker

    /// - Parameter waiter: The parker the drain waits on (it may wait for other conditions too).
    init(waiter: Parker) {
        self.waiter = waiter
    }

    /// A job was queued.
    @inline(__always)
    func increment() { count.add(1, ordering: .relaxed) }

    /// A job could not be queued after all, or it was settled. The one that brings the count to 0 wakes a waiting
    /// drain (a fence and a load when nobody waits).
    @inline(__always)
    func decrement() {
        if count.subtract(1, ordering: .sequentiallyConsistent).newValue == 0 { waiter.unpark() }
    }

    /// The current number.
    var value: Int { count.load(ordering: .sequentiallyConsistent) }
}
