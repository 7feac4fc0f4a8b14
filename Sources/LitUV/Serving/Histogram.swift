import Synchronization

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
