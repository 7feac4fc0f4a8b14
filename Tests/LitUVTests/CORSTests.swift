import Foundation
import Testing

@testable import LitUV

@Suite("CORS")
struct CORSTests {
    private func server(_ policy: CORSPolicy, apiKey: String? = nil) throws -> LitServer {
        var configuration = testConfiguration()
        configuration.cors = policy
        configuration.apiKey = apiKey
        return try LitServer(SquareAPI(), configuration: configuration)
    }

    /// What Chrome sends before a `fetch` POST with a JSON body and an API key.
    private let browserPreflight = [
        "Origin: https://app.example.com",
        "Access-Control-Request-Method: POST",
        "Access-Control-Request-Headers: content-type,x-api-key",
        "Sec-Fetch-Mode: cors",
        "Referer: https://app.example.com/",
    ]

    @Test func anAllowedPreflightIs204WithTheAllowFields() throws {
        let policy = CORSPolicy(allowedOrigins: ["https://app.example.com"])
        try withRunningServer(try server(policy, apiKey: "k")) { running in
            let client = try TestClient(port: running.port)
            let response = try client.request("OPTIONS", "/predict", headers: browserPreflight)
            #expect(response.status == 204)
            #expect(response.body.isEmpty)
            #expect(response.header("Access-Control-Allow-Origin") == "https://app.example.com")
            #expect(response.header("Access-Control-Allow-Methods")?.contains("POST") == true)
            #expect(response.header("Access-Control-Allow-Headers")?.lowercased().contains("x-api-key") == true)
            #expect(response.header("Access-Control-Max-Age") == "600")
            #expect(response.header("Vary") == "Origin")
            // The actual request that follows: CORS fields on the answer.
            let actual = try client.request(
                "POST",
                "/predict",
                body: #"{"input":3}"#,
                headers: ["Origin: https://app.example.com", "X-API-Key: k"]
            )
            expectOutput(actual, 9)
            #expect(actual.header("Access-Control-Allow-Origin") == "https://app.example.com")
            #expect(actual.header("Access-Control-Expose-Headers") == "X-Request-Id")
        }
    }

    @Test func aDisallowedOriginGetsNoCORSFields() throws {
        let policy = CORSPolicy(allowedOrigins: ["https://app.example.com"])
        try withRunningServer(try server(policy)) { running in
            let client = try TestClient(port: running.port)
            var preflight = browserPreflight
            preflight[0] = "Origin: https://evil.example"
            let refused = try client.request("OPTIONS", "/predict", headers: preflight)
            expectJSONError(refused, status: 400)
            #expect(!refused.headers.contains { $0.name.lowercased().hasPrefix("access-control-") })
            let simple = try client.request(
                "POST",
                "/predict",
                body: #"{"input":3}"#,
                headers: ["Origin: https://evil.example"]
            )
            expectOutput(simple, 9)
            #expect(!simple.headers.contains { $0.name.lowercased().hasPrefix("access-control-") })
        }
    }

    @Test func disallowedMethodsAndHeadersRefuseThePreflight() throws {
        let policy = CORSPolicy(allowedOrigins: ["*"], allowedMethods: ["POST"], allowedHeaders: ["Content-Type"])
        try withRunningServer(try server(policy)) { running in
            let client = try TestClient(port: running.port)
            let method = try client.request(
                "OPTIONS",
                "/predict",
                headers: ["Origin: https://a.example", "Access-Control-Request-Method: DELETE"]
            )
            #expect(expectJSONError(method, status: 400) == "Disallowed CORS method")
            let header = try client.request(
                "OPTIONS",
                "/predict",
                headers: [
                    "Origin: https://a.example", "Access-Control-Request-Method: POST",
                    "Access-Control-Request-Headers: Content-Type, X-Secret",
                ]
            )
            #expect(expectJSONError(header, status: 400) == "Disallowed CORS headers")
        }
    }

    @Test func aWildcardOriginAnswersStarUnlessCredentialsAreAllowed() throws {
        try withRunningServer(try server(CORSPolicy(allowedOrigins: ["*"]))) { running in
            let client = try TestClient(port: running.port)
            let response = try client.request("GET", "/health", headers: ["Origin: http://localhost:3000"])
            #expect(response.header("Access-Control-Allow-Origin") == "*")
            #expect(response.header("Vary") == nil)
        }
        let credentials = CORSPolicy(allowedOrigins: ["*"], allowCredentials: true)
        try withRunningServer(try server(credentials)) { running in
            let client = try TestClient(port: running.port)
            let response = try client.request("GET", "/health", headers: ["Origin: http://localhost:3000"])
            #expect(response.header("Access-Control-Allow-Origin") == "http://localhost:3000")
            #expect(response.header("Access-Control-Allow-Credentials") == "true")
        }
    }

    @Test func requestsWithoutOriginAreLeftAlone() throws {
        try withRunningServer(try server(CORSPolicy(allowedOrigins: ["*"]))) { running in
            let client = try TestClient(port: running.port)
            let response = try client.request("OPTIONS", "/predict")
            #expect(response.status == 405)
            #expect(response.header("Access-Control-Allow-Origin") == nil)
        }
    }

    @Test func anInvalidPolicyIsAConfigurationError() {
        var configuration = testConfiguration()
        configuration.cors = CORSPolicy(allowedOrigins: ["https://a.example\r\nX: y"])
        #expect(throws: LitServerError.self) { try LitServer(SquareAPI(), configuration: configuration) }
        configuration.cors = CORSPolicy(allowedOrigins: [])
        #expect(throws: LitServerError.self) { try LitServer(SquareAPI(), configuration: configuration) }
    }
}
