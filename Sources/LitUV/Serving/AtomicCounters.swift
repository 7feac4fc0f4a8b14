import Synchronization

/// A fixed set of atomic counters, allocated once.
final class AtomicCounters: Sendable {
    // Invariant for Sendable: the storage is allocated and initialised in init, freed in deinit, and only touched
    // through `Atomic` operations in between.
    private nonisolated(unsafe) let storage: UnsafeMutablePointer<Atomic<Int>>
    let count: Int

    init(count: Int) {
        self.count = count
        storage = .allocate(capacity: count)
        for index in 0..<count { (storage + index).initialize(to: Atomic(0)) }
    }

    deinit {
        storage.deinitialize(count: count)
        storage.deallocate()
    }

    func add(_ index: Int, _ value: Int = 1) {
        guard index >= 0 && index < count else { return }
        storage[index].add(value, ordering: .relaxed)
    }

    func subtract(_ index: Int, _ value: Int = 1) {
        guard index >= 0 && index < count else { return }
        storage[index].subtract(value, ordering: .relaxed)
    }

    func load(_ index: Int) -> Int { storage[index].load(ordering: .relaxed) }
}
