import Synchronization

/// An unbounded, lock-free, multi-producer single-consumer FIFO queue.
///
/// This is Dmitry Vyukov's intrusive MPSC queue with a stub node
/// (<https://www.1024cores.net/home/lock-free-algorithms/queues/intrusive-mpsc-node-based-queue>). Every
/// ``enqueue(_:)`` allocates one node (a link followed by the element) and ``dequeue()`` frees it again. The stub
/// node, a link without an element, is allocated once and re-inserted whenever the consumer reaches the last real
/// node.
///
/// - ``enqueue(_:)`` may be called from any number of threads at once. It is wait-free: one atomic exchange and
///   one atomic store, no loop.
/// - ``dequeue()`` may only be called by one consumer thread at a time (in LitUV: the loop thread that owns the
///   queue). Debug builds trap if two calls overlap.
///
/// ### Ownership of non-`Sendable` elements
/// `Element` need not be `Sendable`. Enqueueing hands the element over to the consumer thread: the producer must
/// not keep using it (or anything reachable from it that is not itself thread-safe) after ``enqueue(_:)``
/// returns. This is the same contract as sending a value over a channel; the queue cannot check it.
///
/// ### A producer caught mid-push
/// A push is two steps: swing `head` to the new node, then link the previous node to it. Between the two steps
/// the consumer cannot reach the new node (nor nodes pushed after it), so ``dequeue()`` returns `nil` although
/// the queue is not empty. That is harmless as long as producers signal the consumer *after* ``enqueue(_:)``
/// returns (e.g. `uv_async_send` or ``Parker/unpark()``): the producer that is mid-push will send its own signal
/// once its link is in place, and the consumer, woken by it, will then see every node up to that one. A consumer
/// must therefore treat `nil` as "nothing for now, wait for the next signal", never as "the queue is empty for
/// good".
///
/// ### Memory ordering
/// - `head.exchange` is acquiring-and-releasing: it publishes the new node's initialised contents to the producer
///   that pushes next (which will write into our node's `next`), and acquires the previous node from the producer
///   before us, so our store into `prev.next` is ordered after that node's initialisation.
/// - `prev.next.store(node)` is releasing, and the consumer's loads of `next` are acquiring, so a consumer that
///   finds a node also sees the element stored in it.
/// - `tail` is touched only by the consumer and needs no atomics.
@_spi(Benchmarks) public final class MPSCQueue<Element>: @unchecked Sendable {
    // @unchecked Sendable: `head` and every node's `next` are atomics. `tail` and the elements of nodes already
    // linked are touched by the single consumer only (checked in debug builds), and a node's element is written by
    // its producer strictly before the releasing exchange that makes the node reachable. Elements cross threads by
    // hand-over (see the type's documentation).

    private typealias Node = UnsafeMutablePointer<MPSCLink>

    /// The most recently pushed node; producers swing it with an exchange.
    private let head: Atomic<Node>
    /// The oldest node still in the list. Consumer only.
    private var tail: Node
    /// The stub node: a link without an element, owned by the queue for its whole life.
    private let stub: Node

    /// Where a node's element starts, counted from the node's link.
    private let elementOffset: Int
    private let nodeByteCount: Int
    private let nodeAlignment: Int

    #if DEBUG
    /// Set while a ``dequeue()`` runs, to catch a second consumer in debug builds.
    private let consumerActive = Atomic<Bool>(false)
    #endif

    /// Creates an empty queue.
    public init() {
        let elementAlignment = MemoryLayout<Element>.alignment
        let linkSize = MemoryLayout<MPSCLink>.size
        self.elementOffset = (linkSize + elementAlignment - 1) / elementAlignment * elementAlignment
        self.nodeByteCount = self.elementOffset + MemoryLayout<Element>.size
        self.nodeAlignment = max(MemoryLayout<MPSCLink>.alignment, elementAlignment)

        let stub = Node.allocate(capacity: 1)
        stub.initialize(to: MPSCLink())
        self.stub = stub
        self.tail = stub
        self.head = Atomic(stub)
    }

    deinit {
        // No producer can be running: they would hold a reference to `self`. The last release happened-before
        // this deinit, so every push is complete and `dequeue()` returning `nil` means the list holds only the
        // stub.
        while self.dequeue() != nil {}
        assert(self.tail == self.stub && self.head.load(ordering: .relaxed) == self.stub)
        self.stub.deinitialize(count: 1)
        self.stub.deallocate()
    }

    /// Appends an element. Safe to call from any thread; wait-free.
    ///
    /// Signal the consumer after this returns (never before): see "A producer caught mid-push" above.
    ///
    /// - Parameter element: the element; its ownership passes to the consumer.
    public func enqueue(_ element: consuming Element) {
        let memory = UnsafeMutableRawPointer.allocate(byteCount: self.nodeByteCount, alignment: self.nodeAlignment)
        (memory + self.elementOffset).bindMemory(to: Element.self, capacity: 1).initialize(to: element)
        let node = memory.bindMemory(to: MPSCLink.self, capacity: 1)
        node.initialize(to: MPSCLink())
        self.push(node)
    }

    /// Links `node` (whose `next` is `nil`) at the head of the list.
    private func push(_ node: Node) {
        // Acquire-release: see "Memory ordering" in the type's documentation.
        let previous = self.head.exchange(node, ordering: .acquiringAndReleasing)
        // Between the exchange and this store the list is cut at `previous`; the consumer sees `nil` there.
        previous.pointee.next.store(node, ordering: .releasing)
    }

    /// Removes and returns the oldest element.
    ///
    /// Call from the single consumer thread only.
    ///
    /// - Returns: the oldest element, or `nil` when the queue is empty *or* a producer is between the two steps of
    ///   its push. In the latter case that producer's signal, sent after its ``enqueue(_:)`` returns, must wake
    ///   the consumer again.
    public func dequeue() -> Element? {
        #if DEBUG
        let overlapping = self.consumerActive.exchange(true, ordering: .acquiring)
        precondition(!overlapping, "MPSCQueue.dequeue() called concurrently from two consumers")
        defer { self.consumerActive.store(false, ordering: .releasing) }
        #endif

        var tail = self.tail
        var next = tail.pointee.next.load(ordering: .acquiring)
        if tail == self.stub {
            // Skip the stub: it carries no element.
            guard let afterStub = next else {
                return nil  // empty, or the first push since the stub was linked is mid-way
            }
            self.tail = afterStub
            tail = afterStub
            next = afterStub.pointee.next.load(ordering: .acquiring)
        }
        if let next {
            // `tail` has a successor, so no producer will ever touch `tail` again.
            self.tail = next
            return self.take(tail)
        }
        // `tail` is the last linked node. If it is not also `head`, a producer has swung `head` past it but not
        // yet linked it: we cannot reach the newer nodes yet.
        if tail != self.head.load(ordering: .acquiring) {
            return nil
        }
        // `tail` is the only real node. Push the stub behind it so that `tail` gets a successor and can be
        // unlinked without racing a producer that is about to write `tail.next`. The stub still links to the node
        // that followed it last time; no producer can write it any more (the one that did, we have already read),
        // so reset it here; the releasing exchange in `push` publishes the reset.
        self.stub.pointee.next.store(nil, ordering: .relaxed)
        self.push(self.stub)
        if let afterPush = tail.pointee.next.load(ordering: .acquiring) {
            // Either the stub or a node a producer pushed just before it.
            self.tail = afterPush
            return self.take(tail)
        }
        // A producer exchanged `head` between our load of `head` and our push of the stub and has not linked its
        // node to `tail` yet. It will signal after it does.
        return nil
    }

    /// Moves the element out of a real (non-stub) node that nobody can reach any more, and frees the node.
    private func take(_ node: Node) -> Element {
        assert(node != self.stub)
        let memory = UnsafeMutableRawPointer(node)
        let element = (memory + self.elementOffset).assumingMemoryBound(to: Element.self).move()
        node.deinitialize(count: 1)
        memory.deallocate()
        return element
    }
}

/// The part of an ``MPSCQueue`` node that the algorithm touches; a real node's element follows it in the same
/// allocation, the stub has none.
///
/// It is not generic (nor nested in the generic queue), so that debug builds do not look up generic metadata on
/// every enqueue and dequeue.
private struct MPSCLink: ~Copyable {
    let next = Atomic<UnsafeMutablePointer<MPSCLink>?>(nil)
}
