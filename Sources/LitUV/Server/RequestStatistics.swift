import Synchronization

/// Request counters by route and status, shared by every loop.
final class RequestStatistics: Sendable {
    static let statuses = [100, 200, 400, 401, 404, 405, 408, 413, 414, 417, 431, 500, 501, 503, 504, 505]
    let routeNames: [String]
    private let counters: AtomicCounters
    let inFlight = Atomic<Int>(0)
    let connections = Atomic<Int>(0)
    let tlsHandshakeFailures = Atomic<Int>(0)
    /// Connections closed at once because ``LitServer/Configuration/maxConnections`` were open.
    let refusedConnections = Atomic<Int>(0)

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
