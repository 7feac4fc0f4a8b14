import Synchronization

/// Request counters by route and status, shared by every loop: one relaxed atomic add per answer on the request
/// path. `/metrics` publishes them into swift-metrics counters when it is scraped (`MetricsPublisher`).
final class RequestStatistics: Sendable {
    static let statuses = [100, 200, 400, 401, 404, 405, 408, 413, 414, 417, 431, 500, 501, 503, 504, 505]
    let routeNames: [String]
    /// False when metrics are off: ``record(route:status:)`` does nothing.
    let isEnabled: Bool
    private let counters: AtomicCounters
    let inFlight = Atomic<Int>(0)
    let connections = Atomic<Int>(0)
    let tlsHandshakeFailures = Atomic<Int>(0)
    /// Connections closed at once because ``LitServer/Configuration/maxConnections`` were open.
    let refusedConnections = Atomic<Int>(0)

    init(routeNames: [String], metricsEnabled: Bool = true) {
        self.routeNames = routeNames
        isEnabled = metricsEnabled
        counters = AtomicCounters(count: (routeNames.count + 1) * (Self.statuses.count + 1))
    }

    /// The number of (route, status) series: ``count(at:)`` takes `0..<seriesCount`.
    var seriesCount: Int { counters.count }

    private func index(route: Int, status: Int) -> Int {
        let r = (route >= 0 && route < routeNames.count) ? route : routeNames.count
        let s = Self.statuses.firstIndex(of: status) ?? Self.statuses.count
        return r * (Self.statuses.count + 1) + s
    }

    func record(route: Int, status: Int) {
        guard isEnabled else { return }
        counters.add(index(route: route, status: status))
    }

    func count(route: Int, status: Int) -> Int { counters.load(index(route: route, status: status)) }

    /// The count of series `index` (`0..<seriesCount`).
    func count(at index: Int) -> Int { counters.load(index) }

    /// The labels of series `index`: the route's name (`other` for unmatched paths) and the status (`other` for a
    /// status not in ``statuses``).
    func labels(at index: Int) -> (route: String, status: String) {
        let route = index / (Self.statuses.count + 1)
        let status = index % (Self.statuses.count + 1)
        return (
            route < routeNames.count ? routeNames[route] : "other",
            status < Self.statuses.count ? String(Self.statuses[status]) : "other"
        )
    }
}
