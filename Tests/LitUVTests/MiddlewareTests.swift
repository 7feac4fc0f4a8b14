import Foundation
import Synchronization
import Testing

@testable import LitUV

/// Answers 429 to requests without `X-Tenant`, tags every answer, and records what it saw.
private struct TenantGate: LitMiddleware {
    final class Seen: Sendable { let lines = Mutex<[String]>([]) }
    let seen: Seen

    func handle(_ request: IncomingRequest, response: inout ResponseHeaderFields) -> MiddlewareDecision {
        seen.lines.withLock {
            $0.append("\(request.method) \(request.target) \(request.header("x-tenant") ?? "-") \(request.version)")
        }
        response.add("X-Gate", "passed")
        guard request.header("X-Tenant") != nil else { return .respond(.error(429, "Tenant required")) }
        return .proceed
    }
}

private struct Order: LitMiddleware {
    let name: String
    func handle(_ request: IncomingRequest, response: inout ResponseHeaderFields) -> MiddlewareDecision {
        response.add("X-Order", name)
        if request.path == "/teapot" && name == "second" {
            return .respond(LitResponse(status: 418, contentType: "text/plain", body: Array("short and stout".utf8)))
        }
        return .proceed
    }
}

private struct Injector: LitMiddleware {
    func handle(_ request: IncomingRequest, response: inout ResponseHeaderFields) -> MiddlewareDecision {
        if request.path == "/inject-header" { response.add("X-Bad", "a\r\nSet-Cookie: x=1") }
        if request.path == "/inject-response" {
            return .respond(LitResponse(status: 200, headers: [("Content-Length", "0")]))
        }
        return .proceed
    }
}

private struct Keeper: LitMiddleware {
    final class Box: @unchecked Sendable { var request: IncomingRequest? }
    let box: Box
    func handle(_ request: IncomingRequest, response: inout ResponseHeaderFields) -> MiddlewareDecision {
        box.request = request
        return .proceed
    }
}

@Suite("middleware")
struct MiddlewareTests {
    private func server(_ middleware: [any LitMiddleware]) throws -> LitServer {
        var configuration = testConfiguration()
        configuration.middleware = middleware
        return try LitServer(SquareAPI(), configuration: configuration)
    }

    @Test func aMiddlewareSeesTheHeadAndAddsHeaders() throws {
        let seen = TenantGate.Seen()
        try withRunningServer(try server([TenantGate(seen: seen)])) { running in
            let client = try TestClient(port: running.port)
            let response = try client.request("POST", "/predict?x=1", body: #"{"input":3}"#, headers: ["X-Tenant: t1"])
            expectOutput(response, 9)
            #expect(response.header("X-Gate") == "passed")
            #expect(seen.lines.withLock { $0 } == ["POST /predict?x=1 t1 HTTP/1.1"])
        }
    }

    @Test func aShortCircuitAnswersWithoutReadingTheBody() throws {
        let seen = TenantGate.Seen()
        try withRunningServer(try server([TenantGate(seen: seen)])) { running in
            let client = try TestClient(port: running.port, timeout: 5)
            try client.send("POST /predict HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000\r\n\r\n")
            let response = try client.readResponse()
            #expect(expectJSONError(response, status: 429) == "Tenant required")
            #expect(response.header("X-Gate") == "passed")
            expectClosed(client)
        }
    }

    @Test func middlewareRunInOrderAndLaterOnesAreSkippedAfterAnAnswer() throws {
        let chain: [any LitMiddleware] = [Order(name: "first"), Order(name: "second"), Order(name: "third")]
        try withRunningServer(try server(chain)) { running in
            let client = try TestClient(port: running.port)
            let normal = try client.request("GET", "/health")
            #expect(normal.headers.filter { $0.name == "X-Order" }.map(\.value) == ["first", "second", "third"])
            let teapot = try client.request("GET", "/teapot")
            #expect(teapot.status == 418)
            #expect(teapot.bodyText == "short and stout")
            #expect(teapot.header("Content-Type") == "text/plain")
            #expect(teapot.headers.filter { $0.name == "X-Order" }.map(\.value) == ["first", "second"])
        }
    }

    @Test func unsafeHeadersAndResponsesBecomeA500() throws {
        try withRunningServer(try server([Injector()])) { running in
            let client = try TestClient(port: running.port)
            let header = try client.request("GET", "/inject-header")
            expectJSONError(header, status: 500)
            #expect(header.header("Set-Cookie") == nil)
            let response = try client.request("GET", "/inject-response")
            expectJSONError(response, status: 500)
            expectServesNewConnection(port: running.port)
        }
    }

    @Test func aKeptRequestViewReadsAsEmptyAfterTheCall() throws {
        let box = Keeper.Box()
        try withRunningServer(try server([Keeper(box: box)])) { running in
            let client = try TestClient(port: running.port)
            _ = try client.request("GET", "/health", headers: ["X-A: b"])
            let kept = try #require(box.request)
            #expect(kept.path == "")
            #expect(kept.header("X-A") == nil)
            #expect(kept.headers.isEmpty)
        }
    }

    @Test func litResponseValidationRefusesWhatCannotBeSent() {
        #expect(throws: Never.self) { try LitResponse(status: 200, contentType: "image/png").validated().get() }
        let bad: [LitResponse] = [
            LitResponse(status: 99),
            LitResponse(status: 600),
            LitResponse(headers: [("Bad Name", "x")]),
            LitResponse(headers: [("X-A", "line\nbreak")]),
            LitResponse(headers: [("Transfer-Encoding", "chunked")]),
            LitResponse(headers: [("Content-Type", "text/plain")]),
            LitResponse(contentType: "png"),
            LitResponse(contentType: "image/png\r\nX: y"),
        ]
        for response in bad {
            #expect(throws: LitResponseError.self) { try response.validated().get() }
        }
    }
}
