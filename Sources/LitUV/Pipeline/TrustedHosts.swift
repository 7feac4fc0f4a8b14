/// An allow-list of `Host` values (like Starlette's `TrustedHostMiddleware`): a request whose `Host` names another
/// host is answered `400` before anything else looks at it (DNS rebinding, host-header attacks).
///
/// Entries are host names or addresses without a port, compared case-insensitively: `api.example.com`,
/// `*.example.com` (any subdomain, not the domain itself), `127.0.0.1`, `[::1]`, or `*` for any host.
struct TrustedHosts: Sendable {
    private let exact: Set<[UInt8]>
    private let suffixes: [[UInt8]]
    private let any: Bool

    /// - Throws: ``TrustedHostsError`` for an empty list or an entry with a port, a space or a control character.
    init(_ hosts: [String]) throws(TrustedHostsError) {
        guard !hosts.isEmpty else { throw TrustedHostsError(message: "trustedHosts is empty") }
        var exact: Set<[UInt8]> = []
        var suffixes: [[UInt8]] = []
        var any = false
        for host in hosts {
            let lowered = host.lowercased()
            guard !lowered.isEmpty, lowered.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "/") })
            else {
                throw TrustedHostsError(message: "invalid trusted host \"\(host)\"")
            }
            if lowered == "*" {
                any = true
            } else if lowered.hasPrefix("*.") {
                suffixes.append(Array(lowered.utf8.dropFirst()))  // ".example.com"
            } else {
                if !lowered.hasPrefix("["), lowered.contains(":") {
                    throw TrustedHostsError(message: "trusted host \"\(host)\" has a port; list host names only")
                }
                exact.insert(Array(lowered.utf8))
            }
        }
        self.exact = exact
        self.suffixes = suffixes
        self.any = any
    }

    /// Whether a request's `Host` value (possibly with a port) names a trusted host. A missing value is not.
    func allows(_ value: UnsafeRawBufferPointer?) -> Bool {
        if any { return true }
        guard let value, !value.isEmpty else { return false }
        var end = value.count
        if value[0] == UInt8(ascii: "[") {
            guard let close = value.firstIndex(of: UInt8(ascii: "]")) else { return false }
            end = close + 1
        } else if let colon = value.firstIndex(of: UInt8(ascii: ":")) {
            end = colon
        }
        let host = value[..<end].map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 }
        if exact.contains(host) { return true }
        for suffix in suffixes where host.count > suffix.count && host.suffix(suffix.count).elementsEqual(suffix) {
            return true
        }
        return false
    }
}

/// A trusted-hosts list that cannot be used.
struct TrustedHostsError: Error, Sendable {
    let message: String
}
