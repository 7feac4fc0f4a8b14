import Histogram

/// The result of a run, as a human table or one JSON line.
struct Report {
    var target: TargetURL
    var method: String
    var threads: Int
    var connections: Int
    var pipeline: Int
    var rate: Double?
    var duration: Double
    var warmup: Double
    var result: WorkerResult
    var idle: Bool
    var selfServer: Bool

    var requestsPerSecond: Double { Double(result.completed) / duration }
    var bytesPerSecond: Double { Double(result.bytesRead) / duration }
    var non2xx: Int { result.completed - result.statusClasses[1] }

    /// Latency percentiles in milliseconds.
    var latency: [(String, Double)] {
        let h = result.latency
        guard h.totalCount > 0 else {
            return [("p50", 0), ("p90", 0), ("p99", 0), ("p99.9", 0), ("max", 0), ("mean", 0)]
        }
        return [
            ("p50", Double(h.valueAtPercentile(50)) / 1e6),
            ("p90", Double(h.valueAtPercentile(90)) / 1e6),
            ("p99", Double(h.valueAtPercentile(99)) / 1e6),
            ("p99.9", Double(h.valueAtPercentile(99.9)) / 1e6),
            ("max", Double(h.max) / 1e6),
            ("mean", h.mean / 1e6),
        ]
    }

    func table() -> String {
        if idle {
            return "  idle connections open and answered: \(result.idleOpen) of \(connections)\n"
                + errorsLine() + "\n"
        }
        var out = ""
        let perSecond = formatNumber(requestsPerSecond, decimals: 1)
        out += "  Requests     \(pad(formatCount(result.completed), 14))\(perSecond) req/s\n"
        out += "  Transfer     \(pad(formatBytes(Double(result.bytesRead)), 14))\(formatBytes(bytesPerSecond))/s\n"
        out +=
            "  Latency      " + latency.map { "\($0.0) \(formatNumber($0.1, decimals: 3))" }.joined(separator: "  ")
            + "  (ms)\n"
        let classes = ["1xx", "2xx", "3xx", "4xx", "5xx", "other"]
        let statuses = zip(classes, result.statusClasses).filter { $0.1 > 0 }.map { "\($0.0) \($0.1)" }
        out += "  Responses    \(statuses.isEmpty ? "none" : statuses.joined(separator: ", ")); non-2xx \(non2xx)\n"
        out += errorsLine() + "\n"
        var extra: [String] = []
        if result.reconnects > 0 { extra.append("reconnects \(result.reconnects)") }
        if result.tlsHandshakes > 0 { extra.append("TLS handshakes \(result.tlsHandshakes)") }
        if rate != nil { extra.append("max backlog \(result.maxBacklog)") }
        if !extra.isEmpty { out += "  Connections  " + extra.joined(separator: ", ") + "\n" }
        return out
    }

    private func errorsLine() -> String {
        let errors = result.errors.byKind.filter { $0.1 > 0 }.map { "\($0.0) \($0.1)" }
        return "  Errors       " + (errors.isEmpty ? "none" : errors.joined(separator: ", "))
    }

    func json() -> String {
        var fields: [(String, String)] = [
            ("tool", jsonString("lituv-bench")),
            ("url", jsonString(target.description)),
            ("method", jsonString(method)),
            ("mode", jsonString(idle ? "idle" : rate == nil ? "closed" : "open")),
            ("self", selfServer ? "true" : "false"),
            ("threads", "\(threads)"),
            ("connections", "\(connections)"),
            ("pipeline", "\(pipeline)"),
            ("rate", rate.map { jsonNumber($0) } ?? "null"),
            ("duration_s", jsonNumber(duration)),
            ("warmup_s", jsonNumber(warmup)),
            ("requests", "\(result.completed)"),
            ("rps", jsonNumber(requestsPerSecond)),
            ("bytes", "\(result.bytesRead)"),
            ("bytes_per_s", jsonNumber(bytesPerSecond)),
            (
                "latency_ms",
                "{" + latency.map { "\(jsonString($0.0)):\(jsonNumber($0.1))" }.joined(separator: ",") + "}"
            ),
            ("non2xx", "\(non2xx)"),
            (
                "status",
                "{"
                    + zip(["1xx", "2xx", "3xx", "4xx", "5xx", "other"], result.statusClasses)
                    .map { "\(jsonString($0.0)):\($0.1)" }.joined(separator: ",") + "}"
            ),
            ("errors", "{" + result.errors.byKind.map { "\(jsonString($0.0)):\($0.1)" }.joined(separator: ",") + "}"),
            ("errors_total", "\(result.errors.total)"),
            ("reconnects", "\(result.reconnects)"),
            ("tls_handshakes", "\(result.tlsHandshakes)"),
            ("max_backlog", "\(result.maxBacklog)"),
            ("loop_close_ok", result.loopCloseStatus == 0 ? "true" : "false"),
        ]
        if idle { fields.append(("idle_open", "\(result.idleOpen)")) }
        return "{" + fields.map { "\(jsonString($0.0)):\($0.1)" }.joined(separator: ",") + "}"
    }
}

func jsonString(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 {
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}

func jsonNumber(_ value: Double) -> String {
    guard value.isFinite else { return "null" }
    return formatNumber(value, decimals: 3, grouping: false)
}

/// A fixed-point decimal without Foundation: `formatNumber(81234.5, decimals: 1)` → "81,234.5".
func formatNumber(_ value: Double, decimals: Int = -1, grouping: Bool = true) -> String {
    guard value.isFinite else { return "\(value)" }
    if decimals < 0 {
        // As short as possible: integers without decimals.
        if value == value.rounded() && abs(value) < 1e15 { return formatNumber(value, decimals: 0, grouping: grouping) }
        return formatNumber(value, decimals: 3, grouping: grouping)
    }
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let negative = value < 0
    let scaled = (abs(value) * scale).rounded()
    let whole = UInt64(scaled / scale)
    let fraction = UInt64(scaled - Double(whole) * scale)
    var digits = String(whole)
    if grouping && digits.count > 3 {
        var grouped = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { grouped += "," }
            grouped.append(c)
        }
        digits = grouped
    }
    var out = (negative ? "-" : "") + digits
    if decimals > 0 {
        let f = String(fraction)
        out += "." + String(repeating: "0", count: max(0, decimals - f.count)) + f
    }
    return out
}

func formatCount(_ n: Int) -> String { formatNumber(Double(n), decimals: 0) }

func formatBytes(_ bytes: Double) -> String {
    if bytes >= 1024 * 1024 * 1024 { return formatNumber(bytes / (1024 * 1024 * 1024), decimals: 2) + " GiB" }
    if bytes >= 1024 * 1024 { return formatNumber(bytes / (1024 * 1024), decimals: 2) + " MiB" }
    if bytes >= 1024 { return formatNumber(bytes / 1024, decimals: 2) + " KiB" }
    return formatNumber(bytes, decimals: 0) + " B"
}

func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
}
