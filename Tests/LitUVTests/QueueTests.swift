import Synchronization
import Testing

@_spi(Benchmarks) @testable import LitUV

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// These are OS-thread primitives, so the tests drive them from plain pthreads, not Swift concurrency tasks. Every
// test that blocks (joins, sleeps, spins) does so on threads of its own, inside `onOwnThread`, and awaits the
// outcome: no Swift concurrency thread is held up, so the rest of the test target keeps running on a 2-core machine.
// The expectations are checked back in the test's task, where Swift Testing attributes them to the test.
//
// The whole file runs serially: its stress tests would only fight each other for the cores, and the timing tests
// want the CPU to themselves as far as possible. Every join has a timeout, so a lost wake-up fails a test instead of
// hanging the run.

@Suite(.serialized)
struct QueueTests {

    // MARK: - MPSCQueue

    @Suite
    struct MPSC {
        @Test
        func deliversInFIFOOrderOnOneThread() {
            let queue = MPSCQueue<Int>()
            #expect(queue.dequeue() == nil)
            for value in 0..<100 { queue.enqueue(value) }
            for value in 0..<50 { #expect(queue.dequeue() == value) }
            for value in 100..<200 { queue.enqueue(value) }
            for value in 50..<200 { #expect(queue.dequeue() == value) }
            #expect(queue.dequeue() == nil)

            // One element at a time: every dequeue takes the "last real node" path that re-inserts the stub.
            for value in 0..<1_000 {
                queue.enqueue(value)
                #expect(queue.dequeue() == value)
                #expect(queue.dequeue() == nil)
            }
        }

        @Test
        func fourProducersDeliverEveryItemExactlyOnceInProducerOrder() async {
            let producers = 4
            let perProducer = 250_000
            let queue = MPSCQueue<Int>()

            let outcome = await onOwnThread {
                let threads = (0..<producers).map { producer in
                    JoinableThread {
                        for index in 0..<perProducer {
                            queue.enqueue(producer << 32 | index)
                        }
                    }
                }
                // This thread is the single consumer.
                var next = [Int](repeating: 0, count: producers)
                var received = 0
                var outOfOrder = 0
                let deadline = ContinuousClock.now + .seconds(60)
                while received < producers * perProducer, ContinuousClock.now < deadline {
                    guard let value = queue.dequeue() else {
                        sched_yield()
                        continue
                    }
                    let producer = value >> 32
                    let index = value & 0xFFFF_FFFF
                    if index != next[producer] { outOfOrder += 1 }
                    next[producer] = index + 1
                    received += 1
                }
                let joined = joinAllThreads(threads) != nil
                return (joined: joined, received: received, outOfOrder: outOfOrder, next: next)
            }

            #expect(outcome.joined)
            #expect(outcome.received == producers * perProducer)
            #expect(outcome.outOfOrder == 0)
            #expect(outcome.next == [Int](repeating: perProducer, count: producers))
            #expect(queue.dequeue() == nil)
        }

        @Test
        func deinitReleasesElementsLeftInTheQueue() {
            let released = AtomicTally(0)
            do {
                let queue = MPSCQueue<DeinitTracked>()
                for value in 0..<10 { queue.enqueue(DeinitTracked(value, released)) }
                #expect(queue.dequeue()?.value == 0)
                #expect(queue.dequeue()?.value == 1)
                #expect(released.value == 2)
            }
            #expect(released.value == 10)

            do {
                let queue = MPSCQueue<DeinitTracked>()
                queue.enqueue(DeinitTracked(0, released))
            }
            #expect(released.value == 11)
        }
    }

    // MARK: - BoundedMPMCQueue

    @Suite
    struct BoundedMPMC {
        @Test
        func deliversInFIFOOrderOnOneThread() {
            let queue = BoundedMPMCQueue<Int>(capacity: 8)
            #expect(queue.capacity == 8)
            #expect(queue.tryDequeue() == nil)
            #expect(queue.approximateCount == 0)
            for value in 0..<5 { #expect(queue.tryEnqueue(value)) }
            #expect(queue.approximateCount == 5)
            for value in 0..<3 { #expect(queue.tryDequeue() == value) }
            // Around the ring many times, keeping a few elements in it.
            for value in 5..<1_000 {
                #expect(queue.tryEnqueue(value))
                #expect(queue.tryDequeue() == value - 2)
            }
            #expect(queue.tryDequeue() == 998)
            #expect(queue.tryDequeue() == 999)
            #expect(queue.tryDequeue() == nil)
            #expect(queue.approximateCount == 0)
        }

        @Test(arguments: [1, 3, 8, 1_000])
        func fullQueueRefusesExactlyAtCapacity(capacity: Int) {
            let queue = BoundedMPMCQueue<Int>(capacity: capacity)
            #expect(queue.capacity == capacity)
            var next = 0
            var expected = 0
            // Several rounds, so that the ring positions wrap and the refusals happen at every offset.
            for _ in 0..<5 {
                var accepted = 0
                while accepted < capacity, queue.tryEnqueue(next) {
                    next += 1
                    accepted += 1
                }
                #expect(accepted == capacity)
                #expect(!queue.tryEnqueue(-1))
                #expect(queue.approximateCount == capacity)

                #expect(queue.tryDequeue() == expected)
                expected += 1
                #expect(queue.tryEnqueue(next))
                next += 1
                #expect(!queue.tryEnqueue(-1))

                while let value = queue.tryDequeue() {
                    #expect(value == expected)
                    expected += 1
                }
                #expect(expected == next)
                #expect(queue.approximateCount == 0)
            }
        }

        @Test
        func deinitReleasesElementsLeftInTheQueue() {
            let released = AtomicTally(0)
            do {
                let queue = BoundedMPMCQueue<DeinitTracked>(capacity: 5)
                for value in 0..<5 { #expect(queue.tryEnqueue(DeinitTracked(value, released))) }
                #expect(!queue.tryEnqueue(DeinitTracked(5, released)))
                #expect(released.value == 1)  // the refused one
                #expect(queue.tryDequeue()?.value == 0)
                #expect(released.value == 2)
            }
            #expect(released.value == 6)
        }

        @Test
        func fourProducersFourConsumersLoseAndDuplicateNothing() async {
            let outcome = await onOwnThread {
                runMPMCStress(producers: 4, consumers: 4, perProducer: 250_000, capacity: 1_024)
            }
            outcome.check(producers: 4, perProducer: 250_000)
        }

        @Test(arguments: [1, 2, 3])
        func tinyCapacityWrapsAroundManyTimesUnderContention(capacity: Int) async {
            let outcome = await onOwnThread {
                runMPMCStress(producers: 2, consumers: 2, perProducer: 30_000, capacity: capacity)
            }
            outcome.check(producers: 2, perProducer: 30_000)
        }
    }

    // MARK: - Parker

    @Suite
    struct ParkerBehaviour {
        @Test
        func parkedConsumersUseNoCPU() async {
            let parker = Parker()
            let queue = BoundedMPMCQueue<Int>(capacity: 4)

            let outcome = await onOwnThread {
                let stop = ReleaseFlag()
                let cpuNanoseconds = AtomicTally(0)
                let results = AtomicTally(0)
                let consumers = (0..<4).map { _ in
                    JoinableThread {
                        // Process CPU time would also count whatever else the test process runs meanwhile, so each
                        // parked thread measures its own CPU clock, from before it parks until after it wakes.
                        let before = currentThreadCPUNanoseconds()
                        let element = parker.dequeue(from: queue, until: nil) { stop.isSet }
                        cpuNanoseconds.add(currentThreadCPUNanoseconds() - before)
                        if element != nil { results.add(1) }
                    }
                }
                let allParked = pollUntil { parker.idleCount == 4 }
                let start = ContinuousClock.now
                usleep(200_000)
                stop.set()
                parker.unparkAll()
                let joined = joinAllThreads(consumers) != nil
                return (
                    allParked: allParked, joined: joined, elapsed: ContinuousClock.now - start,
                    cpu: Duration.nanoseconds(cpuNanoseconds.value), results: results.value
                )
            }

            #expect(outcome.allParked)
            #expect(outcome.joined)
            #expect(outcome.elapsed >= .milliseconds(200))
            #expect(
                outcome.cpu < .milliseconds(50),
                "4 threads parked for \(outcome.elapsed) used \(outcome.cpu) of CPU"
            )
            #expect(outcome.results == 0)
            #expect(parker.idleCount == 0)
        }

        @Test
        func timedParkReturnsFalseAfterTheDeadline() async {
            let parker = Parker()
            let queue = BoundedMPMCQueue<Int>(capacity: 1)

            let outcome = await onOwnThread {
                parker.prepareToPark()
                let start = ContinuousClock.now
                let woken = parker.park(until: start + .milliseconds(100))
                let elapsed = ContinuousClock.now - start
                let idleAfter = parker.idleCount

                // A deadline in the past returns at once.
                parker.prepareToPark()
                let pastStart = ContinuousClock.now
                let wokenPast = parker.park(until: pastStart - .seconds(1))
                let elapsedPast = ContinuousClock.now - pastStart

                // An unpark with nobody idle leaves no token behind for a later park.
                parker.unpark()
                parker.unparkAll()
                parker.prepareToPark()
                let wokenByStaleToken = parker.park(until: .now + .milliseconds(20))

                // The convenience helper gives up at its deadline too.
                let helperStart = ContinuousClock.now
                let helperResult = parker.dequeue(from: queue, until: helperStart + .milliseconds(50)) { false }
                let helperElapsed = ContinuousClock.now - helperStart
                return (
                    woken: woken, elapsed: elapsed, idleAfter: idleAfter, wokenPast: wokenPast,
                    elapsedPast: elapsedPast, wokenByStaleToken: wokenByStaleToken, helperResult: helperResult,
                    helperElapsed: helperElapsed
                )
            }

            #expect(!outcome.woken)
            #expect(outcome.elapsed >= .milliseconds(100))
            #expect(outcome.elapsed < .seconds(2))
            #expect(outcome.idleAfter == 0)
            #expect(!outcome.wokenPast)
            #expect(outcome.elapsedPast < .milliseconds(500))
            #expect(!outcome.wokenByStaleToken)
            #expect(outcome.helperResult == nil)
            #expect(outcome.helperElapsed >= .milliseconds(50))
            #expect(parker.idleCount == 0)
        }

        @Test
        func unparkWakesAParkedConsumer() async {
            let parker = Parker()
            let queue = BoundedMPMCQueue<Int>(capacity: 4)

            let outcome = await onOwnThread {
                let start = ContinuousClock.now
                let consumer = JoinableThread {
                    parker.dequeue(from: queue, until: .now + .seconds(20)) { false }
                }
                let parked = pollUntil { parker.idleCount == 1 }
                usleep(20_000)
                let enqueued = queue.tryEnqueue(42)
                parker.unpark()
                let received = consumer.join()
                return (parked: parked, enqueued: enqueued, received: received, elapsed: ContinuousClock.now - start)
            }

            #expect(outcome.parked)
            #expect(outcome.enqueued)
            #expect(outcome.received == 42)
            #expect(outcome.elapsed < .seconds(10))
            #expect(parker.idleCount == 0)
        }

        @Test
        func cancelledOrRacingParksLeakNoToken() async {
            let parker = Parker()

            // Claimed by a producer between prepare and cancel: cancel takes the posted token.
            parker.prepareToPark()
            parker.unpark()
            #expect(parker.idleCount == 0)
            parker.cancelPark()

            let outcome = await onOwnThread {
                parker.prepareToPark()
                let wokenAfterCancel = parker.park(until: .now + .milliseconds(20))

                // A consumer whose short timed parks race a producer's unparks.
                let done = ReleaseFlag()
                let woken = AtomicTally(0)
                let consumer = JoinableThread {
                    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
                    for _ in 0..<4_000 {
                        state = xorshiftStep(state)
                        parker.prepareToPark()
                        if state & 7 == 0 {
                            parker.cancelPark()
                        } else if parker.park(until: .now + .microseconds(Int(state % 200))) {
                            woken.add(1)
                        }
                    }
                    done.set()
                }
                let producer = JoinableThread {
                    var state: UInt64 = 0x2545_F491_4F6C_DD1D
                    while !done.isSet {
                        state = xorshiftStep(state)
                        parker.unpark()
                        if state & 3 == 0 { sched_yield() }
                    }
                }
                let joined = joinAllThreads([consumer, producer]) != nil
                let idleAfterRace = parker.idleCount
                parker.prepareToPark()
                let wokenByLeakedToken = parker.park(until: .now + .milliseconds(20))
                return (
                    wokenAfterCancel: wokenAfterCancel, joined: joined, woken: woken.value,
                    idleAfterRace: idleAfterRace, wokenByLeakedToken: wokenByLeakedToken
                )
            }

            #expect(!outcome.wokenAfterCancel, "cancelPark left the producer's token behind")
            #expect(outcome.joined)
            #expect(outcome.woken > 0, "the race never produced a wake-up")
            #expect(outcome.idleAfterRace == 0)
            #expect(!outcome.wokenByLeakedToken, "a token leaked")
            #expect(parker.idleCount == 0)
        }

        @Test
        func pingPongThroughParkedQueuesNeverLosesAWakeUp() async {
            let rounds = 10_000
            let requests = BoundedMPMCQueue<Int>(capacity: 1)
            let replies = BoundedMPMCQueue<Int>(capacity: 1)
            let requestParker = Parker()
            let replyParker = Parker()

            let outcome = await onOwnThread {
                let failures = AtomicTally(0)
                let server = JoinableThread {
                    for _ in 0..<rounds {
                        // Each step has a deadline so that a lost wake-up fails the test instead of hanging it.
                        let deadline = ContinuousClock.now + .seconds(10)
                        guard let request = requestParker.dequeue(from: requests, until: deadline, stop: { false })
                        else {
                            failures.add(1)
                            return
                        }
                        while !replies.tryEnqueue(request) { sched_yield() }
                        replyParker.unpark()
                    }
                }
                let client = JoinableThread {
                    for round in 0..<rounds {
                        while !requests.tryEnqueue(round) { sched_yield() }
                        requestParker.unpark()
                        let reply = replyParker.dequeue(from: replies, until: .now + .seconds(10)) { false }
                        if reply != round {
                            failures.add(1)
                            return
                        }
                    }
                }
                let joined = joinAllThreads([client, server]) != nil
                return (joined: joined, failures: failures.value)
            }

            #expect(outcome.joined)
            #expect(outcome.failures == 0)
            #expect(requestParker.idleCount == 0)
            #expect(replyParker.idleCount == 0)
        }

        @Test
        func twoProducersThreeConsumersWithParkingDeliverEverything() async {
            let producers = 2
            let perProducer = 100_000
            let total = producers * perProducer
            let queue = BoundedMPMCQueue<Int>(capacity: 64)
            let parker = Parker()

            let outcome = await onOwnThread {
                let stop = ReleaseFlag()
                let consumed = AtomicTally(0)
                let consumerThreads = (0..<3).map { _ in
                    JoinableThread<[Int]> {
                        var mine: [Int] = []
                        while let value = parker.dequeue(from: queue, until: nil, stop: { stop.isSet }) {
                            mine.append(value)
                            consumed.add(1)
                        }
                        return mine
                    }
                }
                let producerThreads = (0..<producers).map { producer in
                    JoinableThread {
                        for index in 0..<perProducer {
                            while !queue.tryEnqueue(producer * perProducer + index) { sched_yield() }
                            parker.unpark()
                        }
                    }
                }
                let producersJoined = joinAllThreads(producerThreads) != nil
                // Nobody is stuck: the consumers drain everything without any further wake-up from us.
                let drained = pollUntil(timeout: .seconds(30)) { consumed.value == total }
                stop.set()
                parker.unparkAll()
                let lists = joinAllThreads(consumerThreads)
                return (producersJoined: producersJoined, drained: drained, lists: lists)
            }

            #expect(outcome.producersJoined)
            #expect(outcome.drained, "items were left in the queue while consumers slept")
            #expect(outcome.lists?.count == 3)
            checkExactlyOnce(outcome.lists ?? [], producers: producers, perProducer: perProducer)
            #expect(queue.tryDequeue() == nil)
            #expect(parker.idleCount == 0)
        }

        @Test
        func dequeueDrainsTheQueueBeforeStopping() {
            let parker = Parker()
            let queue = BoundedMPMCQueue<Int>(capacity: 4)
            #expect(queue.tryEnqueue(1))
            #expect(queue.tryEnqueue(2))
            #expect(parker.dequeue(from: queue, until: nil) { true } == 1)
            #expect(parker.dequeue(from: queue, until: nil) { true } == 2)
            #expect(parker.dequeue(from: queue, until: nil) { true } == nil)
            #expect(parker.idleCount == 0)
        }
    }
}

// MARK: - Helpers

/// An element that counts its deinitialisations.
private final class DeinitTracked {
    let value: Int
    private let released: AtomicTally

    init(_ value: Int, _ released: AtomicTally) {
        self.value = value
        self.released = released
    }

    deinit {
        self.released.add(1)
    }
}

/// An atomic integer that closures running on other threads can share.
private final class AtomicTally: Sendable {
    private let atomic: Atomic<Int>

    init(_ initial: Int) {
        self.atomic = Atomic(initial)
    }

    var value: Int { self.atomic.load(ordering: .relaxed) }

    func add(_ amount: Int) {
        self.atomic.wrappingAdd(amount, ordering: .relaxed)
    }
}

/// A one-way flag: once set, a thread that sees it set also sees everything done before `set()`.
private final class ReleaseFlag: Sendable {
    private let atomic = Atomic<Bool>(false)

    var isSet: Bool { self.atomic.load(ordering: .acquiring) }

    func set() {
        self.atomic.store(true, ordering: .releasing)
    }
}

private struct MPMCOutcome: Sendable {
    var lists: [[Int]]
    var joined: Bool

    func check(producers: Int, perProducer: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(self.joined, "a thread did not finish in time", sourceLocation: sourceLocation)
        checkExactlyOnce(self.lists, producers: producers, perProducer: perProducer, sourceLocation: sourceLocation)
    }
}

/// Producers enqueue `producer * perProducer + index` (spinning while full); consumers spin on `tryDequeue` until
/// the producers have finished and the queue is empty.
private func runMPMCStress(producers: Int, consumers: Int, perProducer: Int, capacity: Int) -> MPMCOutcome {
    let queue = BoundedMPMCQueue<Int>(capacity: capacity)
    let producersDone = ReleaseFlag()

    let consumerThreads = (0..<consumers).map { _ in
        JoinableThread<[Int]> {
            var mine: [Int] = []
            mine.reserveCapacity(producers * perProducer / consumers + 1_024)
            while true {
                if let value = queue.tryDequeue() {
                    mine.append(value)
                    continue
                }
                // Producers are done (and their writes visible): one more try, then `nil` really means empty.
                if producersDone.isSet {
                    if let value = queue.tryDequeue() {
                        mine.append(value)
                        continue
                    }
                    break
                }
                sched_yield()
            }
            return mine
        }
    }
    let producerThreads = (0..<producers).map { producer in
        JoinableThread {
            for index in 0..<perProducer {
                while !queue.tryEnqueue(producer * perProducer + index) { sched_yield() }
            }
        }
    }
    let producersJoined = joinAllThreads(producerThreads) != nil
    producersDone.set()
    let lists = joinAllThreads(consumerThreads)
    return MPMCOutcome(lists: lists ?? [], joined: producersJoined && lists != nil)
}

/// Checks that the lists together hold every `producer * perProducer + index` exactly once, and that within each
/// list every producer's items appear in the order that producer enqueued them.
private func checkExactlyOnce(
    _ lists: [[Int]],
    producers: Int,
    perProducer: Int,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let total = producers * perProducer
    var seen = [Bool](repeating: false, count: total)
    var count = 0
    var sum = 0
    var duplicates = 0
    var outOfRange = 0
    var outOfOrder = 0
    for list in lists {
        var last = [Int](repeating: -1, count: producers)
        for value in list {
            count += 1
            sum &+= value
            guard value >= 0, value < total else {
                outOfRange += 1
                continue
            }
            if seen[value] { duplicates += 1 }
            seen[value] = true
            let producer = value / perProducer
            if value <= last[producer] { outOfOrder += 1 }
            last[producer] = value
        }
    }
    #expect(count == total, sourceLocation: sourceLocation)
    #expect(sum == total * (total - 1) / 2, sourceLocation: sourceLocation)
    #expect(duplicates == 0, sourceLocation: sourceLocation)
    #expect(outOfRange == 0, sourceLocation: sourceLocation)
    #expect(outOfOrder == 0, sourceLocation: sourceLocation)
    #expect(!seen.contains(false), sourceLocation: sourceLocation)
}

/// Runs `body` on a new OS thread and suspends the calling task, without blocking a Swift concurrency thread, until
/// `body` returns its result.
private func onOwnThread<Result: Sendable>(_ body: @escaping @Sendable () -> Result) async -> Result {
    await withCheckedContinuation { continuation in
        JoinableThread { continuation.resume(returning: body()) }.detach()
    }
}

/// A plain OS thread whose join has a timeout and hands back the body's result.
///
/// Results travel through the thread object rather than a `Mutex`: ThreadSanitizer does not see this toolchain's
/// `Synchronization.Mutex` on Linux (it locks with its own futex code) and reports accesses under it as races,
/// while it does understand `pthread_join`.
private final class JoinableThread<Result: Sendable>: Sendable {
    private let slot: JoinableThreadResult<Result>
    private let handle: pthread_t

    init(_ body: @escaping @Sendable () -> Result) {
        let slot = JoinableThreadResult<Result>()
        let start = JoinableThreadStart { slot.finish(with: body()) }
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, joinableThreadMain, Unmanaged.passRetained(start).toOpaque())
        precondition(result == 0, "pthread_create failed: \(result)")
        self.slot = slot
        self.handle = thread
    }

    /// Waits for the thread to finish.
    ///
    /// - Returns: the body's result, or `nil` if the thread had not finished within `timeout`; it is then detached
    ///   and left running.
    func join(timeout: Duration = .seconds(60)) -> Result? {
        let deadline = ContinuousClock.now + timeout
        while !self.slot.finished.isSet {
            if ContinuousClock.now >= deadline {
                self.detach()
                return nil
            }
            usleep(1_000)
        }
        pthread_join(self.handle, nil)
        return self.slot.result
    }

    /// Lets the thread run to its end on its own; call instead of `join`, never both.
    func detach() {
        pthread_detach(self.handle)
    }
}

/// Where a test thread leaves its result.
private final class JoinableThreadResult<Result: Sendable>: @unchecked Sendable {
    // @unchecked Sendable: `stored` is written once, by the test thread, before `finished` is set (releasing), and
    // read only after `finished` was seen set (acquiring) and the thread was joined.
    private var stored: Result?
    let finished = ReleaseFlag()

    func finish(with result: Result) {
        self.stored = result
        self.finished.set()
    }

    var result: Result? {
        precondition(self.finished.isSet)
        return self.stored
    }
}

/// What `joinableThreadMain` runs; handed to `pthread_create` retained.
private final class JoinableThreadStart: Sendable {
    let run: @Sendable () -> Void

    init(_ run: @escaping @Sendable () -> Void) {
        self.run = run
    }
}

private func joinableThreadMain(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    Unmanaged<JoinableThreadStart>.fromOpaque(context!).takeRetainedValue().run()
    return nil
}

/// Joins every thread, all within one overall timeout.
///
/// - Returns: the results in order, or `nil` if any thread did not finish in time.
private func joinAllThreads<Result>(
    _ threads: [JoinableThread<Result>],
    timeout: Duration = .seconds(60)
) -> [Result]? {
    let deadline = ContinuousClock.now + timeout
    var results: [Result] = []
    var all = true
    for thread in threads {
        if let result = thread.join(timeout: max(ContinuousClock.now.duration(to: deadline), .zero)) {
            results.append(result)
        } else {
            all = false
        }
    }
    return all ? results : nil
}

/// Polls `condition` every millisecond until it holds or `timeout` passes.
private func pollUntil(timeout: Duration = .seconds(10), _ condition: () -> Bool) -> Bool {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        if ContinuousClock.now >= deadline { return false }
        usleep(1_000)
    }
    return true
}

/// CPU time consumed so far by the calling thread.
private func currentThreadCPUNanoseconds() -> Int {
    var now = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
    return now.tv_sec * 1_000_000_000 + now.tv_nsec
}

private func xorshiftStep(_ state: UInt64) -> UInt64 {
    var x = state
    x ^= x << 13
    x ^= x >> 7
    x ^= x << 17
    return x
}
