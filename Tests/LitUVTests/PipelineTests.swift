import Foundation
import Synchronization
import Testing

@testable import LitUV

@Suite("request pipeline: trusted hosts, access log, contexts")
struct PipelineTests {
    @Test func trustedHostsAllowListedNamesOnly() throws {
        let hosts = try TrustedHosts(["api.example.com", "*.internal.example", "127.0.0.1", "[::1]"])
        func allows(_ value: String?) -> Bool {
            guard let value else { return hosts.allows(nil) }
            return Array(value.utf8).withUnsafeBytes { hosts.allows($0) }
        }
        #expect(allows("api.example.com"))
        #expect(allows("API.Example.COM:8000"))
        #expect(allows("a.internal.example"))
        #expect(allows("127.0.0.1:80"))
        #expect(allows("[::1]:8000"))
        #expect(!allows("internal.example"))
        #expect(!allows("evil.com"))
        #expect(!allows("api.example.com.evil.com"))
        #expect(!allows(""))
        #expect(!allows(nil))
        #expect(!allows("[::1"))
        #expect(throws: TrustedHostsError.self) { try TrustedHosts([]) }
        #expect(throws: TrustedHostsError.self) { try TrustedHosts(["host:8000"]) }
        #expect(throws: TrustedHostsError.self) { try TrustedHosts(["bad host"]) }
    }

    @Test func anUntrustedHostIs400() throws {
        var configuration = testConfiguration()
        configuration.trustedHosts = ["localhost", "127.0.0.1"]
        try withRunningServer(try LitServer(SquareAPI(), configuration: configuration)) { running in
            let (_, bad) = try sendRaw(
                predictRequest(3).replacingOccurrences(of: "Host: test", with: "Host: evil"),
                port: running.port
            )
            #expect(expectJSONError(bad, status: 400) == "Invalid host header")
            let (_, good) = try sendRaw(
                predictRequest(3).replacingOccurrences(of: "Host: test", with: "Host: 127.0.0.1:\(running.port)"),
                port: running.port
            )
            expectOutput(good, 9)
        }
    }

    @Test func theAccessLogHasOneLinePerRequestWithoutSecrets() throws {
        let record = LogRecord()
        var configuration = testConfiguration()
        configuration.logger = record.logger(level: .info)
        configuration.accessLog = true
        configuration.requestIDs = true
        configuration.apiKey = "top-secret"
        try withRunningServer(try LitServer(SquareAPI(), configuration: configuration)) { running in
            let client = try TestClient(port: running.port)
            expectOutput(
                try client.request(
                    "POST",
                    "/predict",
                    body: #"{"input":3}"#,
                    headers: ["X-API-Key: top-secret", "X-Request-Id: log-1"]
                ),
                9
            )
            expectJSONError(try client.request("GET", "/info", headers: ["X-Request-Id: log-2"]), status: 401)
        }
        let lines = record.all.filter { $0.message == "request" }
        #expect(lines.count == 2)
        let first = try #require(lines.first { $0.metadata["request_id"] == "log-1" })
        #expect(first.metadata["method"] == "POST")
        #expect(first.metadata["path"] == "/predict")
        #expect(first.metadata["status"] == "200")
        #expect(first.metadata["bytes"] == String(#"{"output":9.0}"#.utf8.count))
        #expect(first.metadata["latency_ms"] != nil && first.metadata["queue_ms"] != nil)
        #expect(first.metadata["peer"]?.hasPrefix("127.0.0.1:") == true)
        #expect(lines.contains { $0.metadata["request_id"] == "log-2" && $0.metadata["status"] == "401" })
        #expect(!record.all.contains { "\($0.message) \($0.metadata)".contains("top-secret") })
    }

    @Test func theAccessLogIsOffByDefault() throws {
        let record = LogRecord()
        var configuration = testConfiguration()
        configuration.logger = record.logger(level: .trace)
        try withRunningServer(try LitServer(SquareAPI(), configuration: configuration)) { running in
            let client = try TestClient(port: running.port)
            expectOutput(try client.request("POST", "/predict", body: #"{"input":3}"#), 9)
        }
        #expect(!record.all.contains { $0.message == "request" })
    }

    @Test func batchHooksGetEachRequestsContext() throws {
        struct BatchEcho: LitAPI {
            struct Request: Decodable, Sendable { var input: Double }
            typealias Output = String
            static var needsRequestHeaders: Bool { true }
            func decodeRequest(_ request: Request) throws -> Double { request.input }
            func predict(batch inputs: [Double], contexts: RequestContexts) throws -> [String] {
                zip(inputs, contexts).map { "\($0)-\($1.header("X-Tag") ?? "none")-\($1.timeRemaining != nil)" }
            }
            func encodeResponse(_ output: String) throws -> [String: String] { ["echo": output] }
        }
        let server = try LitServer(
            BatchEcho(),
            maxBatchSize: 4,
            batchTimeout: .milliseconds(50),
            configuration: testConfiguration()
        )
        try withRunningServer(server) { running in
            let clients = try (0..<4).map { _ in try TestClient(port: running.port) }
            for (index, client) in clients.enumerated() {
                try client.send(predictRequest(Double(index), headers: ["X-Tag: t\(index)"]))
            }
            for (index, client) in clients.enumerated() {
                let response = try client.readResponse()
                #expect(jsonObject(response)?["echo"] as? String == "\(Double(index))-t\(index)-true")
            }
        }
    }

    @Test func anIdlePipelineIsSkipped() throws {
        let pipeline = try PipelineSetup.make(testConfiguration())
        #expect(pipeline.isIdle)
        var configuration = testConfiguration()
        configuration.requestIDs = true
        #expect(!(try PipelineSetup.make(configuration)).isIdle)
    }
}
