/// The route table of one server run: built-in routes and one `POST` route per endpoint, matched by exact path
/// bytes without allocating.
struct Router: Sendable {
    enum Target: Sendable, Equatable {
        case root, health, liveness, info, metrics, shutdown
        case endpoint(Int)
        /// A fixed JSON answer to GET (index into ``Router/staticBodies``).
        case staticJSON(Int)
    }

    struct Entry: Sendable {
        let path: [UInt8]
        let target: Target
        /// The `Allow` header value for a wrong method.
        let allow: String
        /// Requests to this path need no API key (``LitServer/Configuration/apiKeyExemptPaths``).
        let exemptFromAPIKey: Bool
    }

    /// A spec's error wording for the paths under a prefix, with the decoration shared by its requests.
    struct ShapedPrefix: Sendable {
        let prefix: [UInt8]
        let shape: ErrorBodyShape
        let decoration: ResponseDecoration
    }

    let entries: [Entry]
    /// Bodies of the `.staticJSON` routes.
    let staticBodies: [[UInt8]]
    /// Kinds of the `.staticJSON` routes (probes answer like `/health` and `/livez`).
    let staticKinds: [StaticRoute.Kind]
    /// Specs' error wordings, by path prefix (first registration wins).
    let shapedPrefixes: [ShapedPrefix]

    /// Builds the table.
    /// - Throws: ``LitServerError`` when two routes share a path or a path does not start with `/`.
    init(
        configuration: LitServer.Configuration,
        endpointPaths: [String],
        staticRoutes: [(path: String, body: [UInt8], kind: StaticRoute.Kind)] = [],
        errorShapes: [ErrorBodyShape] = []
    ) throws(LitServerError) {
        var entries: [Entry] = []
        var owners: [String: String] = [:]
        let exempt = PipelineSetup.exemptPaths(configuration)
        func add(_ path: String, _ target: Target, allow: String, option: String) throws(LitServerError) {
            guard path.hasPrefix("/"), !path.contains(where: { $0 == " " || $0 == "?" || $0 == "#" }) else {
                throw .invalidConfiguration("\(option) \"\(path)\" must start with / and contain no space, ? or #")
            }
            if let other = owners[path] {
                throw .invalidConfiguration("\(option) \"\(path)\" is already used by \(other)")
            }
            owners[path] = option
            entries.append(
                Entry(path: Array(path.utf8), target: target, allow: allow, exemptFromAPIKey: exempt.contains(path))
            )
        }
        try add("/", .root, allow: "GET, HEAD", option: "the root route")
        try add(configuration.healthcheckPath, .health, allow: "GET, HEAD", option: "healthcheckPath")
        if let livenessPath = configuration.livenessPath {
            try add(livenessPath, .liveness, allow: "GET, HEAD", option: "livenessPath")
        }
        try add(configuration.infoPath, .info, allow: "GET, HEAD", option: "infoPath")
        try add(configuration.metricsPath, .metrics, allow: "GET, HEAD", option: "metricsPath")
        if configuration.enableShutdownAPI {
            try add(configuration.shutdownPath, .shutdown, allow: "POST", option: "shutdownPath")
        }
        for (index, path) in endpointPaths.enumerated() {
            try add(path, .endpoint(index), allow: "POST", option: "the path of endpoint \(index)")
        }
        var bodies: [[UInt8]] = []
        var kinds: [StaticRoute.Kind] = []
        for route in staticRoutes where owners[route.path] == nil {
            try add(route.path, .staticJSON(bodies.count), allow: "GET, HEAD", option: "the route \(route.path)")
            bodies.append(route.body)
            kinds.append(route.kind)
        }
        var shaped: [ShapedPrefix] = []
        for shape in errorShapes where !shaped.contains(where: { $0.prefix == Array(shape.pathPrefix.utf8) }) {
            guard shape.pathPrefix.hasPrefix("/") else {
                throw .invalidConfiguration("the error shape prefix \"\(shape.pathPrefix)\" must start with /")
            }
            shaped.append(
                ShapedPrefix(
                    prefix: Array(shape.pathPrefix.utf8),
                    shape: shape,
                    decoration: ResponseDecoration(errorShape: shape)
                )
            )
        }
        self.entries = entries
        self.staticBodies = bodies
        self.staticKinds = kinds
        self.shapedPrefixes = shaped
    }

    /// The spec error wording for a request path, or nil (LitUV's own; always nil when no spec registered one).
    func shapedPrefix(for path: UnsafeRawBufferPointer) -> ShapedPrefix? {
        for candidate in shapedPrefixes where candidate.prefix.count <= path.count {
            let matches = candidate.prefix.withUnsafeBytes { prefix in
                prefix.elementsEqual(UnsafeRawBufferPointer(rebasing: path[..<prefix.count]))
            }
            if matches { return candidate }
        }
        return nil
    }

    /// The entry for a request path, and its index (the route tag), or nil.
    func match(_ path: UnsafeRawBufferPointer) -> (entry: Entry, index: Int)? {
        for (index, entry) in entries.enumerated() where entry.path.count == path.count {
            let equal = entry.path.withUnsafeBytes { candidate in
                candidate.elementsEqual(path)
            }
            if equal { return (entry, index) }
        }
        return nil
    }

    /// Route names for metrics labels.
    var names: [String] { entries.map { String(decoding: $0.path, as: UTF8.self) } }
}
