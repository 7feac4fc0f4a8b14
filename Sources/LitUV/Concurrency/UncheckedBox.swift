/// Carries a value across threads where a happens-before edge (a semaphore, a queue hand-off) already orders the
/// accesses. Used to run a closure on another thread and wait for its result (``EventLoop/runAndWait(_:)``).
final class UncheckedBox<T>: @unchecked Sendable {
    // Invariant for @unchecked Sendable: callers write `value` on one thread and read it on another only after a
    // synchronising hand-off (a semaphore signal/wait pair).
    var value: T
    init(_ value: T) { self.value = value }
}
