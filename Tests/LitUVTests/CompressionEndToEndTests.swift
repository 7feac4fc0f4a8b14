import Foundation
import Testing

@testable import LitUV

/// Answers an embedding-like JSON body: `{"embedding":[...]}` with `input` floats.
private struct VectorAPI: LitAPI {
    struct Request: Decodable, Sendable { var input: Int }
    struct Response: Encodable { var embedding: [Double] }
    func decodeRequest(_ request: Request) throws -> Int { request.input }
    func predict(_ count: Int) throws -> [Double] { (0..<count).map { Double($0) * 0.0123456 } }
    func encodeResponse(_ values: [Double]) throws -> Response { Response(embedding: values) }
}

@Suite("gzip responses")
struct CompressionEndToEndTests {
    private func server(inline: Bool = false) throws -> LitServer {
        var configuration = testConfiguration()
        configuration.compression = ResponseCompression()
        let endpoint = LitEndpoint(VectorAPI(), runsInline: inline)
        return try LitServer(endpoints: [endpoint], configuration: configuration)
    }

    @Test(arguments: [false, true])
    func aLargeJSONAnswerIsGzippedForAClientThatAcceptsIt(inline: Bool) throws {
        try withRunningServer(try server(inline: inline)) { running in
            let client = try TestClient(port: running.port)
            let plain = try client.request("POST", "/predict", body: #"{"input":2000}"#)
            #expect(plain.header("Content-Encoding") == nil)
            #expect(plain.header("Vary") == "Accept-Encoding")
            let zipped = try client.request(
                "POST",
                "/predict",
                body: #"{"input":2000}"#,
                headers: ["Accept-Encoding: br;q=1.0, gzip;q=0.8"]
            )
            #expect(zipped.header("Content-Encoding") == "gzip")
            #expect(zipped.header("Vary") == "Accept-Encoding")
            #expect(zipped.body.count < plain.body.count / 2)
            #expect(try gunzip(zipped.body) == plain.body)
            #expect(try pythonGunzip(zipped.body) == plain.body)
        }
    }

    @Test func smallAnswersRefusedCodingsAndHeadAreHandled() throws {
        try withRunningServer(try server()) { running in
            let client = try TestClient(port: running.port)
            let small = try client.request(
                "POST",
                "/predict",
                body: #"{"input":3}"#,
                headers: ["Accept-Encoding: gzip"]
            )
            #expect(small.header("Content-Encoding") == nil)
            let refused = try client.request(
                "POST",
                "/predict",
                body: #"{"input":2000}"#,
                headers: ["Accept-Encoding: gzip;q=0, identity"]
            )
            #expect(refused.header("Content-Encoding") == nil)
            let health = try client.request("GET", "/health", headers: ["Accept-Encoding: gzip"])
            #expect(health.bodyText == "ok")
            let metrics = try client.request("GET", "/metrics", headers: ["Accept-Encoding: gzip"])
            if metrics.header("Content-Encoding") == "gzip" {
                #expect(String(decoding: try gunzip(metrics.body), as: UTF8.self).contains("lituv_"))
            }
        }
    }

    @Test func curlCompressedDecodesTheAnswer() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/curl") else { return }
        try withRunningServer(try server()) { running in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            process.arguments = [
                "-s", "--compressed", "-D", "-", "-X", "POST", "-d", #"{"input":1500}"#,
                "http://127.0.0.1:\(running.port)/predict",
            ]
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            let text = String(decoding: data, as: UTF8.self)
            #expect(text.lowercased().contains("content-encoding: gzip"))
            let body = try #require(text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) })
            let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
            #expect((object?["embedding"] as? [Double])?.count == 1500)
        }
    }
}
