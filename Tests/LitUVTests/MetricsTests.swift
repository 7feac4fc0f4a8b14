import CoreMetrics
import Foundation
import Metrics
import MetricsTestKit
import Prometheus
import Testing

@testable import LitUV

/// x² that counts its predictions with a swift-metrics counter of its own, created in `setup` (once per worker
/// copy; swift-prometheus hands every copy the same series).
struct UserCountingSquareAPI: LitAPI {
    struct Request: Decodable, Sendable { var input: Double }
    struct Response: Encodable { var output: Double }
    let counterLabel: String
    var predictions: CoreMetrics.Counter?

    init(counterLabel: String) {
        self.counterLabel = counterLabel
    }

    mutating func setup(device: Device) throws {
        predictions = CoreMetrics.Counter(label: counterLabel, dimensions: [("model", "square")])
    }

    func decodeRequest(_ request: Request) throws -> Double { request.input }

    func predict(_ x: Double) throws -> Double {
        predictions?.increment()
        return x * x
    }

    func encodeResponse(_ y: Double) throws -> Response { Response(output: y) }
}

/// The value of the first sample line of `/metrics` that starts with `series` followed by a space, or nil.
func metricValue(_ text: String, _ series: String) -> Double? {
    let prefix = series + " "
    guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) else { return nil }
    return Double(line.dropFirst(prefix.count))
}

/// `GET /metrics` on a new connection.
func scrapeMetrics(port: Int, path: String = "/metrics") throws -> TestResponse {
    let client = try TestClient(port: port)
    return try client.request("GET", path)
}

@Suite("Metrics")
struct MetricsTests {
    @Test func userCounterIncrementedInPredictAppearsOnMetrics() throws {
        LitServer.bootstrapMetrics()
        let label = "test_user_predictions_\(UInt32.random(in: 0...UInt32.max))_total"
        let server = try LitServer(
            UserCountingSquareAPI(counterLabel: label),
            configuration: testConfiguration()
        )
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            for input in 1...5 {
                let response = try client.request("POST", "/predict", body: #"{"input": \#(input).0}"#)
                #expect(response.status == 200)
            }
            let metrics = try scrapeMetrics(port: running.port)
            #expect(metrics.status == 200)
            #expect(metrics.header("Content-Type")?.hasPrefix("text/plain") == true)
            #expect(metricValue(metrics.bodyText, "\(label){model=\"square\"}") == 5)
            #expect(metrics.bodyText.contains("# TYPE \(label) counter"))
            // LitUV's own series are there too.
            #expect(metricValue(metrics.bodyText, #"lituv_requests_total{route="/predict",status="200"}"#) == 5)
        }
    }

    @Test func requestCountsAndHistogramsKeepTheirNamesAndValues() throws {
        let server = try LitServer(SquareAPI(), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            for _ in 0..<3 {
                #expect(try client.request("POST", "/predict", body: #"{"input": 2.0}"#).status == 200)
            }
            #expect(try client.request("POST", "/predict", body: "not json").status == 400)
            for _ in 0..<2 {
                #expect(try client.request("GET", "/nope").status == 404)
            }
            #expect(try client.request("GET", "/health").status == 200)
            let text = try scrapeMetrics(port: running.port).bodyText
            #expect(metricValue(text, #"lituv_requests_total{route="/predict",status="200"}"#) == 3)
            #expect(metricValue(text, #"lituv_requests_total{route="/predict",status="400"}"#) == 1)
            #expect(metricValue(text, #"lituv_requests_total{route="other",status="404"}"#) == 2)
            #expect(metricValue(text, #"lituv_requests_total{route="/health",status="200"}"#) == 1)
            // Only series that counted something are shown.
            #expect(!text.contains(#"status="504""#))
            // Four predictions were decoded (three answered 200, one 400), each alone in its batch.
            #expect(metricValue(text, #"lituv_batch_size_count{path="/predict"}"#) == 4)
            #expect(metricValue(text, #"lituv_batch_size_bucket{path="/predict",le="1.0"}"#) == 4)
            #expect(metricValue(text, #"lituv_batch_size_sum{path="/predict"}"#) == 4)
            #expect(metricValue(text, #"lituv_request_duration_seconds_count{path="/predict"}"#) == 4)
            #expect(metricValue(text, #"lituv_request_duration_seconds_bucket{path="/predict",le="+Inf"}"#) == 4)
            #expect(metricValue(text, #"lituv_in_flight_requests"#) == 0)
            #expect((metricValue(text, #"lituv_open_connections"#) ?? 0) >= 1)
            #expect(metricValue(text, #"lituv_tls_handshake_failures_total"#) == 0)
            #expect(metricValue(text, #"lituv_queue_depth{path="/predict"}"#) == 0)
            #expect(metricValue(text, #"lituv_dropped_requests_total{path="/predict"}"#) == 0)
            for family in [
                "lituv_requests_total counter", "lituv_in_flight_requests gauge", "lituv_open_connections gauge",
                "lituv_tls_handshake_failures_total counter", "lituv_queue_depth gauge",
                "lituv_dropped_requests_total counter", "lituv_batch_size histogram",
                "lituv_request_duration_seconds histogram",
            ] {
                #expect(text.contains("# TYPE \(family)\n"), "missing # TYPE \(family)")
            }
            #expect(text.contains("# HELP lituv_requests_total Requests answered, by route and status.\n"))
            // A second scrape counts the first one and publishes only the increase.
            let again = try scrapeMetrics(port: running.port).bodyText
            #expect(metricValue(again, #"lituv_requests_total{route="/metrics",status="200"}"#) == 1)
            #expect(metricValue(again, #"lituv_requests_total{route="/predict",status="200"}"#) == 3)
        }
    }

    @Test func metricsOffAnswers404AndRecordsNothing() throws {
        var configuration = testConfiguration()
        configuration.metricsEnabled = false
        let server = try LitServer(SquareAPI(), configuration: configuration)
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            #expect(try client.request("POST", "/predict", body: #"{"input": 3.0}"#).status == 200)
            let response = try client.request("GET", "/metrics")
            #expect(response.status == 404)
            #expect(response.bodyText.contains("Metrics are disabled"))
            #expect(running.statistics[0].latency.totalCount == 0)
            #expect(running.statistics[0].batchSizes.totalCount == 0)
            // The server's own bookkeeping goes on.
            #expect(running.statistics[0].predictedCount == 1)
        }
    }

    @Test func aServerStartedTwiceRendersEachRunAndBootstrapsOnce() throws {
        LitServer.bootstrapMetrics()
        #expect(LitServer.bootstrapMetrics() == false)
        let label = "test_restart_predictions_\(UInt32.random(in: 0...UInt32.max))_total"
        let server = try LitServer(UserCountingSquareAPI(counterLabel: label), configuration: testConfiguration())
        for (run, requests) in [(1, 2), (2, 3)] {
            #expect(LitServer.bootstrapMetrics() == false)
            try withRunningServer(server) { running in
                let client = try TestClient(port: running.port)
                for _ in 0..<requests {
                    #expect(try client.request("POST", "/predict", body: #"{"input": 1.0}"#).status == 200)
                }
                let text = try scrapeMetrics(port: running.port).bodyText
                // LitUV's series belong to the run; the application's counter to the process.
                let predicted = metricValue(text, #"lituv_requests_total{route="/predict",status="200"}"#)
                #expect(predicted == Double(requests), "run \(run)")
                #expect(metricValue(text, "\(label){model=\"square\"}") == (run == 1 ? 2 : 5), "run \(run)")
                #expect(text.components(separatedBy: "# TYPE lituv_requests_total counter").count == 2)
            }
        }
    }

    @Test func anApplicationBackendReceivesLitUVsSeries() throws {
        let backend = TestMetrics()
        let server = try LitServer(SquareAPI(), configuration: testConfiguration())
        var scrapesMade = 1
        try withMetricsFactory(backend) {
            try withRunningServer(server) { running in
                let client = try TestClient(port: running.port)
                for _ in 0..<4 {
                    #expect(try client.request("POST", "/predict", body: #"{"input": 2.0}"#).status == 200)
                }
                // A scrape publishes to the backend too; /metrics says where the application's metrics are.
                let text = try scrapeMetrics(port: running.port).bodyText
                #expect(metricValue(text, #"lituv_requests_total{route="/predict",status="200"}"#) == 4)
                #expect(text.contains("# The application's own metrics go to its swift-metrics backend"))
                let counter = try backend.expectCounter(
                    "lituv_requests_total",
                    [("route", "/predict"), ("status", "200")]
                )
                #expect(counter.totalValue == 4)
                // Histograms reach the backend observation by observation.
                #expect(
                    try backend.expectTimer("lituv_request_duration_seconds", [("path", "/predict")]).values.count == 4
                )
                #expect(try backend.expectRecorder("lituv_batch_size", [("path", "/predict")]).values == [1, 1, 1, 1])
                // The last answer reaches the client a moment before its loop counts it out of flight (the scrape may
                // run on the other loop), so the gauge is scraped until it publishes 0.
                var inFlight = try backend.expectGauge("lituv_in_flight_requests").lastValue
                for _ in 0..<100 where inFlight != 0 {
                    usleep(50_000)
                    _ = try scrapeMetrics(port: running.port)
                    scrapesMade += 1
                    inFlight = try backend.expectGauge("lituv_in_flight_requests").lastValue
                }
                #expect(inFlight == 0)
            }
        }
        // The run's last publication (when it stopped) counted the scrape itself.
        let scrapes = backend.counterTotal(
            label: "lituv_requests_total",
            dimensions: [("route", "/metrics"), ("status", "200")]
        )
        #expect(scrapes == Int64(scrapesMade))
    }
}
