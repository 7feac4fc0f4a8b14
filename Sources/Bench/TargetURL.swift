/// The parts of an `http://` or `https://` URL the load generator needs.
struct TargetURL: CustomStringConvertible {
    var isTLS: Bool
    /// The host without brackets (an IPv6 literal is bare here).
    var host: String
    var port: Int
    /// The request-target: path and query, at least "/".
    var pathAndQuery: String

    init(_ text: String) throws(BenchError) {
        let rest: Substring
        if text.hasPrefix("http://") {
            isTLS = false
            rest = text.dropFirst("http://".count)
        } else if text.hasPrefix("https://") {
            isTLS = true
            rest = text.dropFirst("https://".count)
        } else {
            throw BenchError("the URL must start with http:// or https://: \(text)")
        }
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var path = String(rest[authorityEnd...])
        if path.isEmpty { path = "/" } else if path.hasPrefix("?") { path = "/" + path }
        if let fragment = path.firstIndex(of: "#") { path = String(path[..<fragment]) }
        pathAndQuery = path
        var hostPart = Substring(authority)
        var portPart: Substring?
        if hostPart.hasPrefix("[") {
            guard let close = hostPart.firstIndex(of: "]") else { throw BenchError("bad IPv6 host in \(text)") }
            let after = hostPart[hostPart.index(after: close)...]
            if after.hasPrefix(":") {
                portPart = after.dropFirst()
            } else if !after.isEmpty {
                throw BenchError("bad authority in \(text)")
            }
            hostPart = hostPart[hostPart.index(after: hostPart.startIndex)..<close]
        } else if let colon = hostPart.lastIndex(of: ":") {
            portPart = hostPart[hostPart.index(after: colon)...]
            hostPart = hostPart[..<colon]
        }
        guard !hostPart.isEmpty, !hostPart.contains("@") else { throw BenchError("no host in \(text)") }
        host = String(hostPart)
        if let portPart {
            guard let value = Int(portPart), (1...65535).contains(value) else {
                throw BenchError("bad port in \(text)")
            }
            port = value
        } else {
            port = isTLS ? 443 : 80
        }
    }

    /// The Host header value.
    var hostHeader: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return port == (isTLS ? 443 : 80) ? shownHost : "\(shownHost):\(port)"
    }

    var description: String { "\(isTLS ? "https" : "http")://\(hostHeader)\(pathAndQuery)" }
}
