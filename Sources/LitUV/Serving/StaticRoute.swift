/// A `GET` route an endpoint adds, answered with a fixed JSON body (a spec's model list, for example).
///
/// Several endpoints of one server may register the same path: routes whose ``merger`` has the same key are
/// answered with one body made by that merger (two endpoints of one spec list both their models once); for any
/// other duplicate the first registration wins.
package struct StaticRoute: Sendable {
    /// Combines the bodies of routes registered on one path into one body.
    package struct Merger: Sendable {
        /// Routes merge only with routes whose merger has the same key.
        package var key: String
        /// The merged body, from the bodies in registration order.
        package var merge: @Sendable ([[UInt8]]) -> [UInt8]

        /// A merger.
        /// - Parameters:
        ///   - key: Routes merge only with routes whose merger has the same key.
        ///   - merge: Makes one body from the bodies in registration order.
        package init(key: String, merge: @escaping @Sendable ([[UInt8]]) -> [UInt8]) {
            self.key = key
            self.merge = merge
        }
    }

    /// How a route answers besides its body.
    package enum Kind: Sendable {
        /// 200 with the body (503 once a shutdown's drain began).
        case fixed
        /// A liveness probe: 200 with the body while the process serves, draining included (like `/livez`).
        case liveness
        /// A readiness probe: 200 with the body when every endpoint's workers are set up and healthy and no shutdown
        /// began (like `/health`), else `notReadyStatus` with `notReadyBody`.
        case readiness(notReadyStatus: Int, notReadyBody: [UInt8])
    }

    /// The route; it must start with `/`.
    package var path: String
    /// How it answers besides its body.
    package var kind: Kind = .fixed
    /// The JSON answered.
    package var body: [UInt8]
    /// How this route's body merges with other routes on the same path, or nil when the first one wins.
    package var merger: Merger?

    /// A route.
    /// - Parameters:
    ///   - path: The route.
    ///   - body: The JSON answered.
    ///   - merger: How the body merges with other routes on the same path, or nil when the first one wins.
    package init(path: String, body: [UInt8], merger: Merger? = nil) {
        self.path = path
        self.body = body
        self.merger = merger
    }

    /// A probe route (``Kind/liveness`` or ``Kind/readiness(notReadyStatus:notReadyBody:)``), or a fixed one.
    /// - Parameters:
    ///   - path: The route.
    ///   - kind: How it answers.
    ///   - body: The JSON answered (when alive, or ready).
    package init(path: String, kind: Kind, body: [UInt8]) {
        self.path = path
        self.body = body
        self.kind = kind
    }

    /// One route per path: bodies of routes on one path whose mergers share a key with the first registration's
    /// are merged by it; any other duplicate is dropped (the first registration wins).
    /// - Parameter routes: The endpoints' routes, in endpoint order.
    /// - Returns: One route per path, in order of first appearance, with the first registration's kind.
    package static func mergingDuplicatePaths(
        _ routes: [StaticRoute]
    ) -> [(path: String, body: [UInt8], kind: Kind)] {
        var firsts: [StaticRoute] = []
        var bodies: [[[UInt8]]] = []
        for route in routes {
            guard let position = firsts.firstIndex(where: { $0.path == route.path }) else {
                firsts.append(route)
                bodies.append([route.body])
                continue
            }
            if let merger = firsts[position].merger, merger.key == route.merger?.key {
                bodies[position].append(route.body)
            }
        }
        return zip(firsts, bodies).map { first, bodies in
            guard let merger = first.merger, bodies.count > 1 else { return (first.path, first.body, first.kind) }
            return (first.path, merger.merge(bodies), first.kind)
        }
    }
}
