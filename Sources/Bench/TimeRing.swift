/// A FIFO of nanosecond times (a growable ring).
struct TimeRing {
    private var storage: [UInt64]
    private var head = 0
    private(set) var count = 0

    init(capacity: Int) {
        storage = Array(repeating: 0, count: max(1, capacity))
    }

    var first: UInt64? { count > 0 ? storage[head] : nil }

    mutating func append(_ value: UInt64) {
        if count == storage.count { grow() }
        var index = head + count
        if index >= storage.count { index -= storage.count }
        storage[index] = value
        count += 1
    }

    mutating func removeFirst() -> UInt64 {
        let value = storage[head]
        head = head + 1 == storage.count ? 0 : head + 1
        count -= 1
        return value
    }

    mutating func removeAll() {
        head = 0
        count = 0
    }

    private mutating func grow() {
        var bigger = [UInt64](repeating: 0, count: storage.count * 2)
        for i in 0..<count {
            var index = head + i
            if index >= storage.count { index -= storage.count }
            bigger[i] = storage[index]
        }
        storage = bigger
        head = 0
    }
}
