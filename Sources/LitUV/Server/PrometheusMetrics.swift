/// Renders the `/metrics` answer from the run's counters: requests by route and status, in-flight predictions, open
/// connections, TLS handshake failures, and per endpoint the queue depth, batch sizes, latency and drops.
extension ServerRuntime {
    /// The `/metrics` body: Prometheus text format 0.0.4.
    func renderMetrics() -> String {
        var out = ""
        statistics.render(into: &out)
        out += "# HELP lituv_in_flight_requests Predictions queued or running.\n# TYPE lituv_in_flight_requests gauge\n"
        out += "lituv_in_flight_requests \(inFlightCount)\n"
        out += "# HELP lituv_open_connections Open client connections.\n# TYPE lituv_open_connections gauge\n"
        out += "lituv_open_connections \(statistics.connections.load(ordering: .relaxed))\n"
        out += "# HELP lituv_tls_handshake_failures_total Failed or timed-out TLS handshakes.\n"
        out += "# TYPE lituv_tls_handshake_failures_total counter\n"
        out += "lituv_tls_handshake_failures_total \(statistics.tlsHandshakeFailures.load(ordering: .relaxed))\n"
        // The connection limit (maxConnections): refused connections, in this one statement.
        out +=
            "# HELP lituv_refused_connections_total Connections closed at once: maxConnections were open.\n"
            + "# TYPE lituv_refused_connections_total counter\n"
            + "lituv_refused_connections_total \(statistics.refusedConnections.load(ordering: .relaxed))\n"
        out += "# HELP lituv_queue_depth Requests waiting for a worker.\n# TYPE lituv_queue_depth gauge\n"
        for endpoint in endpoints {
            out += "lituv_queue_depth{path=\"\(endpoint.settings.path)\"} \(endpoint.queueDepth)\n"
        }
        /// One histogram family, a series per endpoint path.
        func histograms(_ name: String, help: String, _ histogram: (EndpointStatistics) -> Histogram) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) histogram\n"
            for endpoint in endpoints {
                histogram(endpoint.statistics).render(
                    name: name,
                    labels: "path=\"\(endpoint.settings.path)\"",
                    into: &out
                )
            }
        }
        histograms("lituv_batch_size", help: "Requests per predict(batch:) call.") { $0.batchSizes }
        histograms("lituv_request_duration_seconds", help: "Arrival to answer of predictions.") { $0.latency }
        out += "# HELP lituv_dropped_requests_total Requests dropped before predict (client gone or timed out).\n"
        out += "# TYPE lituv_dropped_requests_total counter\n"
        for endpoint in endpoints {
            let dropped = endpoint.statistics.skippedCount
            out += "lituv_dropped_requests_total{path=\"\(endpoint.settings.path)\"} \(dropped)\n"
        }
        return out
    }
}
