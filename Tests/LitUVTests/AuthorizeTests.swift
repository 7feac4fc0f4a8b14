import Foundation
import Synchronization
import Testing

@testable import LitUV

/// Squares, but only for requests that carry `X-Tenant: acme`; counts predictions and records what authorize saw.
private struct TenantSquareAPI: LitAPI {
    struct Request: Decodable, Sendable { var input: Double }
    struct Response: Encodable { var output: Double }

    final class Seen: Sendable {
        let predictions = Atomic<Int>(0)
        let contexts = Mutex<[RequestContext]>([])
    }

    let seen: Seen

    func authorize(_ context: RequestContext) throws {
        seen.contexts.withLock { $0.append(context) }
        if context.header("X-Crash") != nil { throw CocoaError(.featureUnsupported) }
        guard context.header("x-tenant") == "acme" else { throw HTTPError(403, "Unknown tenant") }
    }

    func decodeRequest(_ request: Request) throws -> Double { request.input }
    func predict(_ x: Double) throws -> Double {
        seen.predictions.add(1, ordering: .relaxed)
        return x * x
    }
    func encodeResponse(_ y: Double) throws -> Response { Response(output: y) }
}

@Suite("authorize")
struct AuthorizeTests {
    @Test func anAuthorizedRequestIsServedAndTheHookSeesTheHead() throws {
        let seen = TenantSquareAPI.Seen()
        var configuration = testConfiguration()
        configuration.requestIDs = true
        let server = try LitServer(TenantSquareAPI(seen: seen), configuration: configuration)
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            let response = try client.request(
                "POST",
                "/predict",
                body: #"{"input":3}"#,
                headers: ["X-Tenant: acme", "X-Request-Id: abc-123"]
            )
            expectOutput(response, 9)
            let context = try #require(seen.contexts.withLock { $0.first })
            #expect(context.method == "POST")
            #expect(context.path == "/predict")
            #expect(context.header("X-TENANT") == "acme")
            #expect(context.requestID == "abc-123")
            #expect(context.peerAddress?.hasPrefix("127.0.0.1:") == true)
            #expect(context.serverName == nil)
        }
    }

    @Test func aRefusedRequestNeverReachesAWorkerAndItsBodyIsNotRead() throws {
        let seen = TenantSquareAPI.Seen()
        let server = try LitServer(TenantSquareAPI(seen: seen), configuration: testConfiguration())
        try withRunningServer(server) { running in
            // The head announces 16 MiB that never come: the answer must not wait for them.
            let client = try TestClient(port: running.port, timeout: 5)
            try client.send("POST /predict HTTP/1.1\r\nHost: t\r\nContent-Length: 16777216\r\n\r\n")
            let response = try client.readResponse()
            #expect(expectJSONError(response, status: 403) == "Unknown tenant")
            expectClosed(client)
            // A refused request without a body keeps its connection.
            let other = try TestClient(port: running.port)
            try other.send("POST /predict HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n")
            expectJSONError(try other.readResponse(), status: 403)
            expectOutput(try other.request("POST", "/predict", body: #"{"input":2}"#, headers: ["X-Tenant: acme"]), 4)
            #expect(seen.predictions.load(ordering: .relaxed) == 1)
        }
    }

    @Test func anErrorOtherThanHTTPErrorIsA500() throws {
        let seen = TenantSquareAPI.Seen()
        let server = try LitServer(TenantSquareAPI(seen: seen), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            let response = try client.request("POST", "/predict", body: "{}", headers: ["X-Crash: 1"])
            #expect(expectJSONError(response, status: 500) == "Internal server error")
            #expect(seen.predictions.load(ordering: .relaxed) == 0)
        }
    }

    @Test func anAPIWithoutAuthorizeIsNotAskedAgain() throws {
        let endpoint = LitEndpoint(SquareAPI())
        let authorizer = Authorizer(
            check: endpoint.authorize,
            errors: ErrorAnswers(name: "square", logger: testConfiguration().logger)
        )
        #expect(authorizer.isActive)
        #expect(authorizer.refusal(for: RequestContext()) == nil)
        #expect(!authorizer.isActive)
    }
}
