import Foundation
import Logging
import Testing

@testable import LitUV

/// Answers the raw body back with its content type, as a custom response.
struct EchoBytes: LitAPI {
    typealias Request = RawBody
    typealias Response = LitResponse
    func predict(_ body: RawBody) throws -> LitResponse {
        LitResponse(
            status: 200,
            contentType: body.contentType ?? "application/octet-stream",
            headers: [("X-Body-Bytes", String(body.bytes.count)), ("X-Echo", body.header("x-echo") ?? "")],
            body: body.bytes
        )
    }
}

/// Counts the bytes of a raw body; JSON answer; batches of up to 4.
struct CountBytes: LitAPI {
    typealias Request = RawBody
    struct Response: Encodable {
        var bytes: Int
        var batch: Int
        var type: String
    }
    func decodeRequest(_ body: RawBody) throws -> RawBody { body }
    func predict(batch inputs: [RawBody]) throws -> [Response] {
        inputs.map { Response(bytes: $0.bytes.count, batch: inputs.count, type: $0.mediaType ?? "") }
    }
    func encodeResponse(_ output: Response) throws -> Response { output }
}

/// Accepts only PNG and JPEG raw bodies.
struct ImageBody: LitRequestBody {
    static var acceptedMediaTypes: [String] { ["image/png", "image/jpeg"] }
    var bytes: [UInt8]
    init(body: RawBody, context: RequestBodyContext) throws { bytes = body.bytes }
}

struct ImageSize: LitAPI {
    typealias Request = ImageBody
    func decodeRequest(_ body: ImageBody) throws -> Int { body.bytes.count }
    func predict(_ count: Int) throws -> [String: Int] { ["bytes": count] }
}

/// JSON in, a custom answer whose header the test chooses (a bad one must become a logged 500).
struct HeaderPicker: LitAPI {
    struct Request: Decodable, Sendable { var value: String }
    typealias Response = LitResponse
    func predict(_ request: Request) throws -> LitResponse {
        LitResponse(
            status: 201,
            contentType: "text/plain",
            headers: [("X-Picked", request.value)],
            body: Array("ok".utf8)
        )
    }
}

@Suite("Request and response bodies beyond JSON")
struct RequestBodyTests {
    @Test func rawBodyArrivesWithItsContentTypeAndHeadersAndIsAnsweredWithCustomBytes() throws {
        let server = try LitServer(EchoBytes(), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            let payload: [UInt8] = (0..<300).map { UInt8($0 % 256) }
            var request = Array("POST /predict HTTP/1.1\r\nHost: t\r\nContent-Type: image/png\r\nX-Echo: hi\r\n".utf8)
            request += Array("Content-Length: \(payload.count)\r\n\r\n".utf8) + payload
            try client.send(request)
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == "image/png")
            #expect(response.header("X-Body-Bytes") == "300")
            #expect(response.header("X-Echo") == "hi")
            #expect(response.body == payload)
        }
    }

    @Test func aBatchOfRawBodiesReachesPredictBatchAsAnArray() throws {
        let server = try LitServer(
            CountBytes(),
            maxBatchSize: 4,
            batchTimeout: .milliseconds(200),
            configuration: testConfiguration()
        )
        try withRunningServer(server) { running in
            let clients = try (0..<4).map { index in
                let client = try TestClient(port: running.port)
                try client.send(
                    TestClient.format(
                        "POST",
                        "/predict",
                        body: String(repeating: "x", count: index + 1),
                        headers: ["Content-Type: text/plain; charset=utf-8"]
                    )
                )
                return client
            }
            var sizes: [Int] = []
            for client in clients {
                let object = jsonObject(try client.readResponse())
                sizes.append(object?["bytes"] as? Int ?? -1)
                #expect(object?["type"] as? String == "text/plain")
                #expect((object?["batch"] as? Int ?? 0) >= 1)
            }
            #expect(sizes == [1, 2, 3, 4])
        }
    }

    @Test func aContentTypeTheAPIDoesNotAcceptIsRefused415WithTheAcceptedTypes() throws {
        let server = try LitServer(ImageSize(), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let (_, refused) = try sendRaw(
                TestClient.format("POST", "/predict", body: "{}", headers: ["Content-Type: application/json"]),
                port: running.port
            )
            #expect(refused.status == 415)
            let detail = jsonObject(refused)?["detail"] as? String ?? ""
            #expect(detail.contains("image/png or image/jpeg"), "\(detail)")
            let (_, missing) = try sendRaw(TestClient.format("POST", "/predict", body: "{}"), port: running.port)
            #expect(missing.status == 415)
            let (_, accepted) = try sendRaw(
                TestClient.format("POST", "/predict", body: "abc", headers: ["Content-Type: IMAGE/PNG; x=1"]),
                port: running.port
            )
            #expect(accepted.status == 200)
            #expect(jsonObject(accepted)?["bytes"] as? Int == 3)
        }
    }

    @Test func aCustomResponseWithABadHeaderIsALogged500AndTheServerKeepsServing() throws {
        let server = try LitServer(HeaderPicker(), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            let bad = try client.request("POST", "/predict", body: #"{"value":"a\r\nSet-Cookie: x=1"}"#)
            #expect(bad.status == 500)
            #expect(bad.header("X-Picked") == nil)
            #expect(bad.header("Set-Cookie") == nil)
            let good = try client.request("POST", "/predict", body: #"{"value":"fine"}"#)
            #expect(good.status == 201)
            #expect(good.header("X-Picked") == "fine")
            #expect(good.header("Content-Type") == "text/plain")
            #expect(good.bodyText == "ok")
        }
    }
}
