import Synchronization

/// A bounded, lock-free, multi-producer multi-consumer FIFO queue.
///
/// This is Dmitry Vyukov's bounded MPMC queue
/// (<https://www.1024cores.net/home/lock-free-algorithms/queues/bounded-mpmc-queue>): a ring of cells, each with a
/// sequence number that says whose turn the cell is. A producer claims a position with a CAS on `enqueuePosition`,
/// writes the element and publishes it by bumping the cell's sequence; a consumer does the mirror image. There are
/// no locks and no allocation after `init`.
///
/// ### Capacity
/// The ring has `max(2, capacity rounded up to a power of two)` cells, but the queue holds at most ``capacity``
/// elements, exactly as requested: when the ring is larger than ``capacity``, ``tryEnqueue(_:)`` also refuses
/// once `enqueuePosition - dequeuePosition` (claimed enqueues minus claimed dequeues) reaches ``capacity``. That
/// costs one extra load of the consumers' position; power-of-two capacities of 2 or more skip it.
///
/// Like every queue of this family, ``tryEnqueue(_:)`` can also refuse while a consumer that has already claimed
/// the oldest element is still moving it out (the queue then "looks" full for a moment), and ``tryDequeue()`` can
/// return `nil` while a producer that has claimed the next position is still writing its element. Both windows
/// are a few instructions long unless the thread inside them is preempted.
///
/// ### Ownership of non-`Sendable` elements
/// `Element` need not be `Sendable`; enqueueing hands the element to whichever consumer dequeues it. The producer
/// must not keep using it afterwards.
///
/// ### Memory ordering
/// - A cell's sequence is stored releasing after its element is written (or moved out) and loaded acquiring
///   before the element is touched, so the element is handed over with a happens-before edge, in both directions.
/// - The positions are claimed with sequentially consistent CASes. Nothing about the element's hand-over needs
///   that (Vyukov's original uses relaxed), but it makes the exact-capacity check sound: all loads and CASes of
///   the two positions are in one total order, so when a producer's CAS claims position `p`, the consumers'
///   position is at least the value the producer checked against, hence `p - dequeuePosition < capacity`. On x86
///   a locked CAS and a load cost the same either way.
/// - Positions are `Int`s updated with wrapping arithmetic and compared as signed differences, as in the
///   original; 2^63 operations will not happen.
@_spi(Benchmarks) public final class BoundedMPMCQueue<Element>: @unchecked Sendable {
    // @unchecked Sendable: the positions and cell sequences are atomics. A cell's element slot is written only by
    // the one producer whose CAS claimed that cell's position and read only by the one consumer whose CAS claimed
    // it, and the cell's sequence (release/acquire) orders the two. Elements cross threads by hand-over.

    /// The largest number of elements the queue holds at once, as passed to `init`.
    let capacity: Int

    /// Number of cells in the ring: a power of two, at least 2 (the algorithm cannot tell "full" from "empty" with
    /// a single cell).
    private let ringSize: Int
    private let mask: Int
    /// Whether the ring is larger than `capacity`, so that `tryEnqueue` must check the occupancy itself.
    private let needsCapacityCheck: Bool

    /// `ringSize` sequence numbers. Cell `i` starts at `i`; `pos + 1` means "holds the element enqueued at `pos`";
    /// `pos + ringSize` means "free for the enqueue at `pos + ringSize`".
    private let sequences: UnsafeMutablePointer<Atomic<Int>>
    /// `ringSize` element slots, initialised only while their cell holds an element.
    private let elements: UnsafeMutablePointer<Element>
    /// The two positions, `positionStride` `Atomic<Int>`s (128 bytes) apart so that producers and consumers do not
    /// share a cache line (or an adjacent-line prefetch pair).
    private let positions: UnsafeMutablePointer<Atomic<Int>>
    private static var positionStride: Int { 128 / MemoryLayout<Atomic<Int>>.stride }

    /// The next position producers will claim.
    private var enqueuePosition: UnsafeMutablePointer<Atomic<Int>> { self.positions }
    /// The next position consumers will claim.
    private var dequeuePosition: UnsafeMutablePointer<Atomic<Int>> { self.positions + Self.positionStride }

    /// Creates an empty queue.
    ///
    /// - Parameter capacity: the most elements the queue may hold; at least 1.
    public init(capacity: Int) {
        precondition(capacity >= 1, "BoundedMPMCQueue capacity must be at least 1, got \(capacity)")
        precondition(capacity <= 1 << 40, "BoundedMPMCQueue capacity \(capacity) is unreasonably large")
        var ringSize = 2
        while ringSize < capacity { ringSize <<= 1 }
        self.capacity = capacity
        self.ringSize = ringSize
        self.mask = ringSize - 1
        self.needsCapacityCheck = capacity < ringSize

        self.sequences = .allocate(capacity: ringSize)
        for index in 0..<ringSize {
            (self.sequences + index).initialize(to: Atomic(index))
        }
        self.elements = .allocate(capacity: ringSize)
        self.positions = .allocate(capacity: 2 * Self.positionStride)
        for index in 0..<(2 * Self.positionStride) {
            (self.positions + index).initialize(to: Atomic(0))
        }
    }

    deinit {
        // No producer or consumer can be running (they would hold a reference), and the last release
        // happened-before this deinit, so every claimed operation is complete and `nil` means empty.
        while self.tryDequeue() != nil {}
        self.sequences.deinitialize(count: self.ringSize)
        self.sequences.deallocate()
        self.elements.deallocate()  // every slot is uninitialised now
        self.positions.deinitialize(count: 2 * Self.positionStride)
        self.positions.deallocate()
    }

    /// Appends an element if the queue is not full. Safe to call from any thread.
    ///
    /// - Parameter element: the element; on success its ownership passes to the consumer that dequeues it, on
    ///   failure the queue keeps no reference to it.
    /// - Returns: `true` if the element was enqueued, `false` if the queue holds ``capacity`` elements (or a
    ///   consumer is still finishing with the oldest one); the caller should shed the load (HTTP 503).
    public func tryEnqueue(_ element: consuming Element) -> Bool {
        var position = self.enqueuePosition.pointee.load(ordering: .sequentiallyConsistent)
        while true {
            if self.needsCapacityCheck {
                let dequeued = self.dequeuePosition.pointee.load(ordering: .sequentiallyConsistent)
                if position &- dequeued >= self.capacity {
                    return false
                }
            }
            let cell = position & self.mask
            let sequence = self.sequences[cell].load(ordering: .acquiring)
            let difference = sequence &- position
            if difference == 0 {
                // The cell is free for `position`: try to claim it.
                let (claimed, current) = self.enqueuePosition.pointee.weakCompareExchange(
                    expected: position,
                    desired: position &+ 1,
                    ordering: .sequentiallyConsistent
                )
                if claimed {
                    (self.elements + cell).initialize(to: element)
                    self.sequences[cell].store(position &+ 1, ordering: .releasing)
                    return true
                }
                position = current
            } else if difference < 0 {
                // The cell still holds the element from one lap ago: full.
                return false
            } else {
                // Another producer claimed `position` already; catch up.
                position = self.enqueuePosition.pointee.load(ordering: .sequentiallyConsistent)
            }
        }
    }

    /// Removes and returns the oldest element, if any. Safe to call from any thread.
    ///
    /// - Returns: the oldest element, or `nil` if the queue is empty (or the producer that claimed the oldest
    ///   position is still writing its element).
    public func tryDequeue() -> Element? {
        var position = self.dequeuePosition.pointee.load(ordering: .sequentiallyConsistent)
        while true {
            let cell = position & self.mask
            let sequence = self.sequences[cell].load(ordering: .acquiring)
            let difference = sequence &- (position &+ 1)
            if difference == 0 {
                // The cell holds the element enqueued at `position`: try to claim it.
                let (claimed, current) = self.dequeuePosition.pointee.weakCompareExchange(
                    expected: position,
                    desired: position &+ 1,
                    ordering: .sequentiallyConsistent
                )
                if claimed {
                    let element = (self.elements + cell).move()
                    self.sequences[cell].store(position &+ self.ringSize, ordering: .releasing)
                    return element
                }
                position = current
            } else if difference < 0 {
                // Nothing has been published at `position` yet: empty.
                return nil
            } else {
                // Another consumer claimed `position` already; catch up.
                position = self.dequeuePosition.pointee.load(ordering: .sequentiallyConsistent)
            }
        }
    }

    /// The number of elements in the queue, clamped to `0...capacity`. Only a snapshot: it may be stale by the
    /// time it is used, and under contention it counts claimed operations that have not finished yet.
    var approximateCount: Int {
        let dequeued = self.dequeuePosition.pointee.load(ordering: .relaxed)
        let enqueued = self.enqueuePosition.pointee.load(ordering: .relaxed)
        return min(max(enqueued &- dequeued, 0), self.capacity)
    }
}
