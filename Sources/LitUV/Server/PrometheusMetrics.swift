import Prometheus

/// Renders the `/metrics` answer (Prometheus text format 0.0.4): LitUV's own series of this run (requests by route
/// and status, in-flight predictions, open connections, TLS handshake failures, and per endpoint the queue depth,
/// drops, batch sizes and latency), then the application's swift-prometheus registry. docs/ARCHITECTURE.md,
/// "Metrics", has the whole picture.
extension ServerRuntime {
    /// `GET /metrics`: 200 with the Prometheus text; 404 with a JSON detail when metrics are off.
    func metricsResponse() -> HTTPResponse {
        guard metrics.isEnabled else {
            return .error(.notFound, "Metrics are disabled (Configuration.metricsEnabled is false)")
        }
        return HTTPResponse(status: .ok, contentType: .prometheus, body: renderMetrics())
    }

    /// Publishes the run's counts into its swift-metrics objects (see `MetricsPublisher`). Any thread.
    func publishMetrics() {
        metrics.publish(
            requests: statistics,
            inFlight: inFlightCount,
            endpoints: endpoints.map { (queueDepth: $0.queueDepth, dropped: $0.statistics.skippedCount) }
        )
    }

    /// The `/metrics` body.
    func renderMetrics() -> [UInt8] {
        publishMetrics()
        var out: [UInt8] = []
        out.reserveCapacity(8192)
        // Counters and gauges: swift-prometheus renders the run's registry.
        metrics.registry.emit(into: &out)
        // Histograms: LitUV's lock-free ones (swift-metrics cannot carry an aggregated histogram).
        var text = ""
        /// One histogram family, a series per endpoint path.
        func histograms(_ name: String, _ histogram: (EndpointStatistics) -> Histogram) {
            text += "# HELP \(name) \(MetricsPublisher.help[name] ?? "")\n# TYPE \(name) histogram\n"
            for endpoint in endpoints {
                histogram(endpoint.statistics).render(
                    name: name,
                    labels: "path=\"\(escapedLabelValue(endpoint.settings.path))\"",
                    into: &text
                )
            }
        }
        histograms("lituv_batch_size") { $0.batchSizes }
        histograms("lituv_request_duration_seconds") { $0.latency }
        renderGeneration(into: &text)
        out.append(contentsOf: text.utf8)
        // The application's metrics.
        switch metrics.application {
        case .none:
            // Nothing was bootstrapped when the run started; the application may have bootstrapped swift-prometheus
            // since (LitServer.bootstrapMetrics()), or registered metrics on the default registry directly.
            if case .prometheus(let registry) = MetricsBackend.application {
                registry.emit(into: &out)
            } else {
                LitServer.metricsRegistry.emit(into: &out)
            }
        case .prometheus(let registry):
            if registry !== metrics.registry { registry.emit(into: &out) }
        case .other:
            out.append(
                contentsOf: "# The application's own metrics go to its swift-metrics backend, not to this page.\n".utf8
            )
        }
        return out
    }
}

extension ServerRuntime {
    /// The continuous-batching series (only when an endpoint serves a ``LitGenerativeAPI``): active and waiting
    /// sequences, tokens generated, step durations. Read from the step thread's atomics at scrape time.
    fileprivate func renderGeneration(into text: inout String) {
        let generative = endpoints.compactMap { endpoint in
            endpoint.generation.map { (label: "path=\"\(escapedLabelValue(endpoint.settings.path))\"", $0, endpoint) }
        }
        guard !generative.isEmpty else { return }
        func family(_ name: String, _ type: String, _ value: (GenerationStatistics, ServedEndpoint) -> Int) {
            text += "# HELP \(name) \(MetricsPublisher.help[name] ?? "")\n# TYPE \(name) \(type)\n"
            for (label, statistics, endpoint) in generative {
                text += "\(name){\(label)} \(value(statistics, endpoint))\n"
            }
        }
        family("lituv_active_sequences", "gauge") { statistics, _ in statistics.activeCount }
        family("lituv_waiting_sequences", "gauge") { _, endpoint in endpoint.queueDepth }
        family("lituv_generated_tokens_total", "counter") { statistics, _ in statistics.tokenCount }
        let name = "lituv_step_duration_seconds"
        text += "# HELP \(name) \(MetricsPublisher.help[name] ?? "")\n# TYPE \(name) histogram\n"
        for (label, statistics, _) in generative {
            statistics.stepDuration.render(name: name, labels: label, into: &text)
        }
    }
}

/// A label value escaped as the text format wants it (backslash, double quote, line feed).
private func escapedLabelValue(_ value: String) -> String {
    var escaped = ""
    for character in value {
        switch character {
        case "\\": escaped += "\\\\"
        case "\"": escaped += "\\\""
        case "\n": escaped += "\\n"
        default: escaped.append(character)
        }
    }
    return escaped
}
