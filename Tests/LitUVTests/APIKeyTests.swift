import Foundation
import Testing

@testable import LitUV

@Suite("API keys")
struct APIKeyTests {
    private func server(key: String = "s3cret-key", exempt: [String]? = nil) throws -> LitServer {
        var configuration = testConfiguration()
        configuration.apiKey = key
        configuration.apiKeyExemptPaths = exempt
        return try LitServer(SquareAPI(), configuration: configuration)
    }

    @Test func aRequestWithTheRightKeyInXAPIKeyIsServed() throws {
        try withRunningServer(try server()) { running in
            let client = try TestClient(port: running.port)
            expectOutput(
                try client.request("POST", "/predict", body: #"{"input":3}"#, headers: ["X-API-Key: s3cret-key"]),
                9
            )
        }
    }

    @Test func aRequestWithTheRightBearerKeyIsServed() throws {
        try withRunningServer(try server()) { running in
            let client = try TestClient(port: running.port)
            let response = try client.request(
                "POST",
                "/predict",
                body: #"{"input":2}"#,
                headers: ["Authorization: bearer   s3cret-key "]
            )
            expectOutput(response, 4)
        }
    }

    @Test func missingWrongPrefixAndBasicKeysAre401WithAChallenge() throws {
        try withRunningServer(try server()) { running in
            let cases: [[String]] = [
                [],
                ["X-API-Key: wrong"],
                ["X-API-Key: s3cret"],  // a prefix of the key
                ["X-API-Key: s3cret-key-and-more"],
                ["X-API-Key: "],
                ["Authorization: Basic czNjcmV0LWtleQ=="],
                ["Authorization: Bearer wrong"],
                ["X-API-Key: s3cret-key", "X-API-Key: s3cret-key"],  // ambiguous
            ]
            for headers in cases {
                let client = try TestClient(port: running.port)
                let response = try client.request("POST", "/predict", body: #"{"input":3}"#, headers: headers)
                let detail = expectJSONError(response, status: 401)
                #expect(response.header("WWW-Authenticate")?.hasPrefix("Bearer") == true, "\(headers)")
                #expect(detail?.contains("s3cret") == false, "the key is never echoed: \(headers)")
                // A refused request with a body is answered without reading it: the connection closes.
                expectClosed(client)
            }
        }
    }

    @Test func aRefusedGetKeepsTheConnection() throws {
        try withRunningServer(try server()) { running in
            let client = try TestClient(port: running.port)
            expectJSONError(try client.request("GET", "/info"), status: 401)
            expectJSONError(try client.request("GET", "/nowhere"), status: 401)
            #expect(try client.request("GET", "/info", headers: ["X-API-Key: s3cret-key"]).status == 200)
        }
    }

    @Test func probesAreExemptByDefault() throws {
        try withRunningServer(try server()) { running in
            let client = try TestClient(port: running.port)
            #expect(try client.request("GET", "/health").status == 200)
            #expect(try client.request("GET", "/livez").status == 200)
            #expect(try client.request("GET", "/metrics").status == 200)
        }
    }

    @Test func exemptPathsAreConfigurable() throws {
        try withRunningServer(try server(exempt: ["/info"])) { running in
            let client = try TestClient(port: running.port)
            #expect(try client.request("GET", "/info").status == 200)
            expectJSONError(try client.request("GET", "/health"), status: 401)
        }
    }

    @Test func theKeyIsReadFromTheEnvironmentWhenTheServerStarts() throws {
        setenv("LIT_SERVER_API_KEY", "from-env", 1)
        defer { unsetenv("LIT_SERVER_API_KEY") }
        let server = try LitServer(SquareAPI(), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            expectOutput(
                try client.request("POST", "/predict", body: #"{"input":3}"#, headers: ["X-API-Key: from-env"]),
                9
            )
            let other = try TestClient(port: running.port)
            expectJSONError(try other.request("POST", "/predict", body: #"{"input":3}"#), status: 401)
        }
    }

    @Test func anEmptyConfiguredKeyIsAConfigurationError() {
        var configuration = testConfiguration()
        configuration.apiKey = ""
        #expect(throws: LitServerError.self) { try LitServer(SquareAPI(), configuration: configuration) }
    }

    @Test func theShutdownRouteKeepsItsOwnKey() throws {
        var configuration = testConfiguration(enableShutdownAPI: true, shutdownAPIKey: "stop-key")
        configuration.apiKey = "s3cret-key"
        let server = try LitServer(SquareAPI(), configuration: configuration)
        let running = try server.start(host: "127.0.0.1", port: 0)
        let client = try TestClient(port: running.port)
        let response = try client.request("POST", "/shutdown", headers: ["Authorization: Bearer stop-key"])
        #expect(response.status == 200)
        try running.wait()
        #expect(running.loopCloseStatuses.allSatisfy { $0 == 0 })
    }
}
