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

/// A Prometheus-style histogram with fixed upper bounds.
final class Histogram: Sendable {
    let bounds: [Double]
    private let buckets: AtomicCounters  // one per bound, plus +Inf
    private let sumMicros = Atomic<Int>(0)
    private let scale: Double

    /// - Parameters:
    ///   - bounds: Upper bounds, ascending.
    ///   - scale: Multiplier from an observed value to the integer kept in the sum (1e6 for seconds → µs).
    init(bounds: [Double], scale: Double = 1) {
        self.bounds = bounds
        self.scale = scale
        buckets = AtomicCounters(count: bounds.count + 1)
    }

    func observe(_ value: Double) {
        var index = bounds.count
        for (i, bound) in bounds.enumerated() where value <= bound {
            index = i
            break
        }
        buckets.add(index)
        sumMicros.add(Int(value * scale), ordering: .relaxed)
    }

    /// Observations in each bucket (not cumulative), the last one being +Inf.
    var counts: [Int] { (0...bounds.count).map { buckets.load($0) } }
    var totalCount: Int { counts.reduce(0, +) }
    var sum: Double { Double(sumMicros.load(ordering: .relaxed)) / scale }

    func render(name: String, labels: String, into out: inout String) {
        var cumulative = 0
        let counts = self.counts
        let prefix = labels.isEmpty ? "" : labels + ","
        for (index, bound) in bounds.enumerated() {
            cumulative += counts[index]
            out += "\(name)_bucket{\(prefix)le=\"\(bound)\"} \(cumulative)\n"
        }
        cumulative += counts[bounds.count]
        out += "\(name)_bucket{\(prefix)le=\"+Inf\"} \(cumulative)\n"
        out += "\(name)_sum{\(labels)} \(sum)\n"
        out += "\(name)_count{\(labels)} \(cumulative)\n"
    }
}

/// Counters of one endpoint: batches formed, latency, drops.
final class EndpointStatistics: Sendable {
    let batchSizes = Histogram(bounds: [1, 2, 4, 8, 16, 32, 64, 128, 256])
    let latency = Histogram(
        bounds: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
        scale: 1e6
    )
    private let batches = Atomic<Int>(0)
    private let largest = Atomic<Int>(0)
    private let predicted = Atomic<Int>(0)
    /// Requests dropped before `predict` because they were cancelled or expired while queued.
    private let skipped = Atomic<Int>(0)

    func recordBatch(size: Int) {
        batchSizes.observe(Double(size))
        batches.add(1, ordering: .relaxed)
        predicted.add(size, ordering: .relaxed)
        var current = largest.load(ordering: .relaxed)
        while size > current {
            let (exchanged, original) = largest.compareExchange(expected: current, desired: size, ordering: .relaxed)
            if exchanged { break }
            current = original
        }
    }

    func recordSkipped() { skipped.add(1, ordering: .relaxed) }

    /// Batches given to `predict(batch:)` so far.
    var batchCount: Int { batches.load(ordering: .relaxed) }
    /// The largest batch so far.
    var largestBatch: Int { largest.load(ordering: .relaxed) }
    /// Requests given to `predict` so far.
    var predictedCount: Int { predicted.load(ordering: .relaxed) }
    /// Requests dropped before `predict` (client gone or deadline passed while queued).
    var skippedCount: Int { skipped.load(ordering: .relaxed) }
}

/// Request counters by route and status, shared by every loop.
final class RequestStatistics: Sendable {
    static let statuses = [100, 200, 400, 401, 404, 405, 413, 414, 417, 431, 500, 501, 503, 504, 505]
    let routeNames: [String]
    private let counters: AtomicCounters
    let inFlight = Atomic<Int>(0)
    let connections = Atomic<Int>(0)
    let tlsHandshakeFailures = Atomic<Int>(0)

    init(routeNames: [String]) {
        self.routeNames = routeNames
        counters = AtomicCounters(count: (routeNames.count + 1) * (Self.statuses.count + 1))
    }

    private func index(route: Int, status: Int) -> Int {
        let r = (route >= 0 && route < routeNames.count) ? route : routeNames.count
        let s = Self.statuses.firstIndex(of: status) ?? Self.statuses.count
        return r * (Self.statuses.count + 1) + s
    }

    func record(route: Int, status: Int) { counters.add(index(route: route, status: status)) }

    func count(route: Int, status: Int) -> Int { counters.load(index(route: route, status: status)) }

    func render(into out: inout String) {
        out += "# HELP lituv_requests_total Requests answered, by route and status.\n"
        out += "# TYPE lituv_requests_total counter\n"
        for route in 0...routeNames.count {
            let name = route < routeNames.count ? routeNames[route] : "other"
            for (s, status) in (Self.statuses + [0]).enumerated() {
                let value = counters.load(route * (Self.statuses.count + 1) + s)
                if value > 0 {
                    let label = status == 0 ? "other" : String(status)
                    out += "lituv_requests_total{route=\"\(name)\",status=\"\(label)\"} \(value)\n"
                }
            }
        }
    }
}
