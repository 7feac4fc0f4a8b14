import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Lets idle consumer threads sleep, without spinning, until a producer has work for them, and never loses a
/// wake-up.
///
/// A `Parker` is an *eventcount*: an idle counter (`idle`, the number of consumers that have announced that they
/// are about to sleep and have not been claimed by a producer yet) plus a POSIX semaphore that carries one token
/// per claimed consumer. It knows nothing about the queue it guards; the consumer protocol is
///
/// ```swift
/// while true {
///     if let x = queue.tryDequeue() { return x }
///     parker.prepareToPark()
///     if let x = queue.tryDequeue() { parker.cancelPark(); return x }
///     parker.park(until: deadline)   // then loop: the wake-up may have been meant for another consumer
/// }
/// ```
///
/// (``dequeue(from:until:stop:)`` implements it), and a producer calls ``unpark()`` after every successful
/// enqueue.
///
/// ### Why no wake-up is lost
/// The consumer *writes* `idle` (in ``prepareToPark()``) and then *reads* the queue; the producer *writes* the
/// queue and then *reads* `idle` (in ``unpark()``). Both sides put a sequentially consistent fence between their
/// write and their read. The fences are totally ordered, so (C++ [atomics.order], the "store buffering" pattern
/// with fences) one of two things holds for every consumer that goes to sleep:
/// - its fence comes after the producer's: its re-check sees the element (or a later state of the cell, i.e. the
///   element already taken by someone else), so it does not sleep on it; or
/// - its fence comes first: the producer's load of `idle` sees the consumer's increment *or a later value*. If it
///   sees `idle > 0` it claims a consumer and posts a token. If `idle` has meanwhile dropped back to 0, every
///   announcement counted before (this consumer's included) has been withdrawn or turned into a token by another
///   producer's claim, so some consumer is leaving the idle state: it withdrew, or it will take one of those
///   tokens. Whoever leaves loops and, before it can sleep again, increments `idle` anew. That increment comes
///   after the value the producer read, so its fence must come after the producer's fence (or the producer would
///   have read it), and its re-check sees the element.
///
/// The producer's fence orders *any* earlier write before its read of `idle`, so this works whatever orderings
/// the queue itself uses (and for a stop flag set before ``unparkAll()``). Elements themselves are handed over by
/// the queue's own release/acquire, never by the parker.
///
/// ### Token accounting
/// Invariant: the number of consumers between ``prepareToPark()`` and their exit from ``cancelPark()`` or
/// ``park(until:)`` equals `idle` plus the semaphore tokens that producers have posted or are about to post
/// (claimed by their CAS on `idle`, not yet posted). A consumer leaves in exactly one of two ways:
/// - it takes its own announcement back with a CAS that decrements `idle` while `idle > 0`, or
/// - when `idle == 0` all announcements have been turned into tokens, so at least one token is posted or about
///   to be; it takes one with `sem_wait` (blocking at most until the claiming producer's `sem_post`, a few
///   instructions after its CAS).
/// Both keep the invariant, so when every consumer has left, `idle == 0` and the semaphore holds no tokens: none
/// leaks to cause a later spurious wake-up, and none is missing so that a consumer would sleep through work.
/// Tokens are interchangeable; a consumer may be woken by the token meant for another and find the queue empty,
/// which is why the protocol loops.
final class Parker: Sendable {
    /// Consumers that announced they are about to sleep and have not been claimed by a producer yet.
    private let idle = Atomic<Int>(0)
    /// One token per consumer claimed by a producer and not yet woken.
    private let semaphore = PosixSemaphore()

    /// Creates a parker with no idle consumers.
    init() {}

    deinit {
        assert(self.idle.load(ordering: .relaxed) == 0, "Parker freed while a consumer was between prepare and park")
    }

    /// The number of consumers that are parked or preparing to park and have not been claimed by a producer. For
    /// tests and diagnostics; stale as soon as it is read.
    var idleCount: Int {
        self.idle.load(ordering: .relaxed)
    }

    // MARK: Consumer side

    /// Announces that the calling consumer found the queue empty and is about to park.
    ///
    /// The consumer must then check the queue (and its stop condition) once more and call either
    /// ``cancelPark()`` (found something) or ``park(until:)`` (still nothing).
    func prepareToPark() {
        self.idle.wrappingAdd(1, ordering: .sequentiallyConsistent)
        // Orders the increment before the consumer's re-check of the queue: see "Why no wake-up is lost".
        atomicMemoryFence(ordering: .sequentiallyConsistent)
    }

    /// Withdraws a ``prepareToPark()`` announcement because the re-check found work.
    ///
    /// If a producer has already claimed this consumer, this consumes the token it posts (waiting for it for at
    /// most the few instructions between that producer's CAS and its `sem_post`), so no token is left behind.
    func cancelPark() {
        _ = self.withdraw()
    }

    /// Sleeps until a producer wakes this consumer or the deadline passes. Call only after ``prepareToPark()``.
    ///
    /// A `true` result does not promise work for *this* consumer (tokens are interchangeable); check the queue
    /// again. A timed-out park that races a producer's claim waits for that producer's `sem_post`, so it can
    /// return a little after the deadline if that producer is preempted between its CAS and its post.
    ///
    /// - Parameter deadline: when to give up, or `nil` to sleep until woken.
    /// - Returns: `true` if woken by ``unpark()`` or ``unparkAll()``, `false` if the deadline passed first.
    @discardableResult
    func park(until deadline: ContinuousClock.Instant?) -> Bool {
        guard let deadline else {
            self.semaphore.wait()
            return true
        }
        if self.semaphore.wait(until: deadline) {
            return true
        }
        // Timed out. A producer may have claimed us at the same moment: if our announcement is still counted in
        // `idle`, take it back; otherwise take the token that producer posts, and report the wake-up.
        return self.withdraw()
    }

    /// Leaves the idle set: takes one announcement back from `idle` if there is one, otherwise takes a token.
    ///
    /// - Returns: `true` if a token was taken (a producer had claimed this consumer).
    private func withdraw() -> Bool {
        var current = self.idle.load(ordering: .sequentiallyConsistent)
        while current > 0 {
            let (exchanged, original) = self.idle.compareExchange(
                expected: current,
                desired: current - 1,
                ordering: .sequentiallyConsistent
            )
            if exchanged {
                return false
            }
            current = original
        }
        // `idle == 0`: every announcement, ours included, has been claimed, so a token is posted or about to be.
        self.semaphore.wait()
        return true
    }

    // MARK: Producer side

    /// Wakes one consumer that is parked or preparing to park, if there is one. Call after every successful
    /// enqueue (never before it).
    ///
    /// When no consumer is idle this is a fence and one atomic load (the fence is what makes the enqueue visible
    /// to a consumer that is preparing to park at the same moment; see "Why no wake-up is lost").
    func unpark() {
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        var current = self.idle.load(ordering: .sequentiallyConsistent)
        while current > 0 {
            let (exchanged, original) = self.idle.compareExchange(
                expected: current,
                desired: current - 1,
                ordering: .sequentiallyConsistent
            )
            if exchanged {
                self.semaphore.post()
                return
            }
            current = original
        }
    }

    /// Wakes every consumer that is parked or preparing to park. For shutdown: set the consumers' stop flag
    /// *before* calling this, so that a consumer that prepares to park afterwards sees the flag on its re-check
    /// (the same fence argument as for ``unpark()``).
    func unparkAll() {
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        var current = self.idle.load(ordering: .sequentiallyConsistent)
        while current > 0 {
            let (exchanged, original) = self.idle.compareExchange(
                expected: current,
                desired: 0,
                ordering: .sequentiallyConsistent
            )
            if exchanged {
                for _ in 0..<current {
                    self.semaphore.post()
                }
                return
            }
            current = original
        }
    }

    // MARK: Convenience

    /// Takes the next element from `queue`, parking while it is empty.
    ///
    /// Elements win over stopping: while the queue has elements they are returned even after `stop()` became
    /// `true`, so a consumer loop drains the queue before it exits. After a successful dequeue that leaves more
    /// elements behind, another idle consumer is woken: a wake-up can be spent on a consumer that found the queue
    /// momentarily "empty" because an earlier producer had claimed a cell but not filled it yet, and this passes
    /// the wake-up on.
    ///
    /// Producers call ``unpark()`` after their `tryEnqueue`s (once for several is enough: a woken consumer passes the
    /// wake-up on while elements remain); whoever makes `stop()` true calls ``unparkAll()`` afterwards.
    ///
    /// - Parameters:
    ///   - queue: the queue to take from.
    ///   - deadline: when to give up, or `nil` to wait until an element arrives or `stop()` is true.
    ///   - stop: checked before every park; must become `true` before ``unparkAll()`` is called.
    ///   - beforeParking: runs right before the consumer sleeps (a worker wakes the loops it owes answers to).
    /// - Returns: an element, or `nil` if the deadline passed or `stop()` was `true` with the queue empty.
    func dequeue<E>(
        from queue: BoundedMPMCQueue<E>,
        until deadline: ContinuousClock.Instant?,
        stop: () -> Bool,
        beforeParking: () -> Void = {}
    ) -> E? {
        while true {
            if let element = queue.tryDequeue() {
                return self.passOn(element, from: queue)
            }
            if stop() {
                return nil
            }
            self.prepareToPark()
            if let element = queue.tryDequeue() {
                self.cancelPark()
                return self.passOn(element, from: queue)
            }
            if stop() {
                self.cancelPark()
                return nil
            }
            beforeParking()
            if !self.park(until: deadline) {
                return queue.tryDequeue().map { self.passOn($0, from: queue) }
            }
        }
    }

    /// Sleeps until `condition()` is true or `deadline` passes: the waiting side of a state change that is not a
    /// queue (a count reaching zero). Whoever changes the state calls ``unpark()`` after the change (an atomic
    /// write ordered before the call); the same fence argument as for a queue means no such change is missed.
    /// - Returns: The last value of `condition()` (false when the deadline passed first).
    func wait(until deadline: ContinuousClock.Instant, for condition: () -> Bool) -> Bool {
        while !condition() {
            if ContinuousClock.now >= deadline { return condition() }
            self.prepareToPark()
            if condition() {
                self.cancelPark()
                return true
            }
            self.park(until: deadline)
        }
        return true
    }

    /// Wakes another idle consumer if `queue` still holds elements, and returns `element`.
    private func passOn<E>(_ element: E, from queue: BoundedMPMCQueue<E>) -> E {
        if queue.approximateCount > 0 {
            self.unpark()
        }
        return element
    }
}

/// A POSIX unnamed semaphore (`sem_t`) in memory of its own, owned by one ``Parker``.
private struct PosixSemaphore: ~Copyable, @unchecked Sendable {
    // @unchecked Sendable: `raw` never changes after init and is destroyed only in deinit, when no other thread can
    // reach it (the owning Parker is being freed). The sem_* functions are thread-safe.
    private let raw: UnsafeMutablePointer<sem_t>

    init() {
        self.raw = .allocate(capacity: 1)
        let result = sem_init(self.raw, 0, 0)
        precondition(result == 0, "sem_init failed: errno \(errno)")
    }

    deinit {
        sem_destroy(self.raw)
        self.raw.deallocate()
    }

    /// Adds a token, waking one waiter.
    func post() {
        let result = sem_post(self.raw)
        precondition(result == 0, "sem_post failed: errno \(errno)")
    }

    /// Takes a token, sleeping until one is available.
    func wait() {
        while sem_wait(self.raw) != 0 {
            let error = errno
            precondition(error == EINTR, "sem_wait failed: errno \(error)")
        }
    }

    /// Takes a token if one is available right now.
    func tryWait() -> Bool {
        while sem_trywait(self.raw) != 0 {
            let error = errno
            if error == EAGAIN {
                return false
            }
            precondition(error == EINTR, "sem_trywait failed: errno \(error)")
        }
        return true
    }

    /// Takes a token, sleeping until one is available or `deadline` has passed.
    ///
    /// `sem_timedwait` only takes a `CLOCK_REALTIME` time (glibc's `sem_clockwait` is not visible to Swift), so the
    /// remaining time is measured on `ContinuousClock` and each wait is at most one second long: a jump of the
    /// wall clock can stretch a wait by at most that second, and the loop then re-checks the real deadline.
    ///
    /// - Returns: `true` if a token was taken, `false` at the deadline.
    func wait(until deadline: ContinuousClock.Instant) -> Bool {
        while true {
            let remaining = ContinuousClock.now.duration(to: deadline)
            if remaining <= .zero {
                return self.tryWait()
            }
            let slice = min(remaining, .seconds(1)).components
            var wakeTime = timespec()
            clock_gettime(CLOCK_REALTIME, &wakeTime)
            // Round up so as not to wake just before the deadline and go around once more.
            let nanoseconds = Int(wakeTime.tv_nsec) + Int((slice.attoseconds + 999_999_999) / 1_000_000_000)
            wakeTime.tv_sec += Int(slice.seconds) + nanoseconds / 1_000_000_000
            wakeTime.tv_nsec = nanoseconds % 1_000_000_000
            if sem_timedwait(self.raw, &wakeTime) == 0 {
                return true
            }
            let error = errno
            precondition(error == ETIMEDOUT || error == EINTR, "sem_timedwait failed: errno \(error)")
        }
    }
}
