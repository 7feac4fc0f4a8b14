import Foundation
import Testing

@testable import LitUV

@Suite("request ids")
struct RequestIDTests {
    private func server() throws -> LitServer {
        var configuration = testConfiguration()
        configuration.requestIDs = true
        return try LitServer(SquareAPI(), configuration: configuration)
    }

    @Test func aValidClientIdIsEchoed() throws {
        try withRunningServer(try server()) { running in
            let client = try TestClient(port: running.port)
            let response = try client.request(
                "POST",
                "/predict",
                body: #"{"input":3}"#,
                headers: ["x-request-id: req-42/a.b:c"]
            )
            expectOutput(response, 9)
            #expect(response.header("X-Request-Id") == "req-42/a.b:c")
        }
    }

    @Test func anIdIsGeneratedWhenMissingOrInvalid() throws {
        try withRunningServer(try server()) { running in
            let client = try TestClient(port: running.port)
            var seen: Set<String> = []
            let invalid = ["", "has space", "quote\"d", String(repeating: "a", count: 129), "back\\slash", "ünï"]
            for value in [nil] + invalid.map(Optional.some) {
                let headers = value.map { ["X-Request-Id: \($0)"] } ?? []
                let response = try client.request("GET", "/health", headers: headers)
                let id = try #require(response.header("X-Request-Id"))
                #expect(id.count == 32 && id.allSatisfy(\.isHexDigit), "generated: \(id)")
                seen.insert(id)
            }
            #expect(seen.count == invalid.count + 1, "generated ids differ")
        }
    }

    @Test func errorBodiesCarryTheId() throws {
        try withRunningServer(try server()) { running in
            let client = try TestClient(port: running.port)
            let notFound = try client.request("GET", "/nowhere", headers: ["X-Request-Id: id-404"])
            expectJSONError(notFound, status: 404)
            #expect(jsonObject(notFound)?["request_id"] as? String == "id-404")
            let bad = try client.request("POST", "/predict", body: "{", headers: ["X-Request-Id: id-400"])
            expectJSONError(bad, status: 400)
            #expect(jsonObject(bad)?["request_id"] as? String == "id-400")
            #expect(bad.header("X-Request-Id") == "id-400")
        }
    }

    @Test func theIdReachesEveryHook() throws {
        struct EchoIDAPI: LitAPI {
            struct Request: Decodable, Sendable { var input: Double }
            typealias Input = String
            typealias Output = String
            typealias Response = [String: String]
            func decodeRequest(_ request: Request, context: RequestContext) throws -> String {
                context.requestID ?? "none"
            }
            func predict(_ input: String, context: RequestContext) throws -> String {
                input == context.requestID && context.isClientConnected ? input : "mismatch"
            }
            func encodeResponse(_ output: String, context: RequestContext) throws -> [String: String] {
                ["id": output, "encode": context.requestID ?? "none"]
            }
        }
        var configuration = testConfiguration()
        configuration.requestIDs = true
        try withRunningServer(try LitServer(EchoIDAPI(), configuration: configuration)) { running in
            let client = try TestClient(port: running.port)
            let response = try client.request("POST", "/predict", body: #"{"input":1}"#, headers: ["X-Request-Id: r1"])
            #expect(jsonObject(response)?["id"] as? String == "r1")
            #expect(jsonObject(response)?["encode"] as? String == "r1")
        }
    }

    @Test func generatedIdsAreHexAndDistinct() {
        var generator = RequestIDGenerator()
        var ids: Set<String> = []
        for _ in 0..<1000 { ids.insert(generator.next().string) }
        #expect(ids.count == 1000)
        #expect(ids.allSatisfy { $0.count == 32 && $0.allSatisfy(\.isHexDigit) })
    }
}
