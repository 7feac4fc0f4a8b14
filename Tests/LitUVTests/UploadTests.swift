import Foundation
import Testing

@testable import LitUV

#if canImport(Glibc)
import Glibc
#endif

/// The repository root (this file is Tests/LitUVTests/UploadTests.swift).
private let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// What the upload test API tells about one part it received.
struct PartSummary: Encodable, Sendable {
    var name: String
    var filename: String?
    var contentType: String?
    var bytes: Int
    var checksum: Int
    var text: String?
}

/// The same checksum as Tests/python/upload_client_test.py.
func uploadChecksum(_ bytes: [UInt8]) -> Int {
    var total = 0
    for byte in bytes { total = (total * 31 + Int(byte)) % 1_000_000_007 }
    return total
}

/// Describes every part of a multipart upload; batches of up to 4 (the batch size is in the answer).
struct FormSummary: LitAPI {
    typealias Request = MultipartForm
    struct Response: Encodable, Sendable {
        var parts: [PartSummary]
        var batch: Int
    }
    func decodeRequest(_ form: MultipartForm) throws -> [PartSummary] {
        form.parts.map { part in
            PartSummary(
                name: part.name,
                filename: part.filename,
                contentType: part.contentType,
                bytes: part.body.count,
                checksum: uploadChecksum(part.body),
                text: part.isFile ? nil : part.text
            )
        }
    }
    func predict(batch inputs: [[PartSummary]]) throws -> [Response] {
        inputs.map { Response(parts: $0, batch: inputs.count) }
    }
    func encodeResponse(_ output: Response) throws -> Response { output }
}

/// Answers the fields of an urlencoded form as a JSON object.
struct FieldsEcho: LitAPI {
    typealias Request = URLEncodedForm
    func decodeRequest(_ form: URLEncodedForm) throws -> [String: String] {
        Dictionary(form.fields.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
    }
    func predict(_ fields: [String: String]) throws -> [String: String] { fields }
}

/// Streams `count` blocks of `size` bytes as `application/octet-stream`.
struct ByteBlocks: LitStreamingAPI {
    struct Request: Decodable, Sendable {
        var count: Int
        var size: Int
    }
    typealias Response = [UInt8]
    func predict(_ request: Request, emit: ([UInt8]) throws -> Void) throws {
        for index in 0..<request.count {
            try emit([UInt8](repeating: UInt8(index % 256), count: request.size))
        }
    }
}

/// Builds a `multipart/form-data` body.
func multipartBody(
    boundary: String,
    parts: [(name: String, filename: String?, type: String?, body: [UInt8])]
)
    -> [UInt8]
{
    var out: [UInt8] = []
    for part in parts {
        var head = "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(part.name)\""
        if let filename = part.filename { head += "; filename=\"\(filename)\"" }
        head += "\r\n"
        if let type = part.type { head += "Content-Type: \(type)\r\n" }
        head += "\r\n"
        out += Array(head.utf8) + part.body + Array("\r\n".utf8)
    }
    out += Array("--\(boundary)--\r\n".utf8)
    return out
}

/// A raw `POST` with a body of bytes.
func postBytes(_ path: String, contentType: String, body: [UInt8]) -> [UInt8] {
    Array(
        "POST \(path) HTTP/1.1\r\nHost: t\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n\r\n".utf8
    )
        + body
}

/// Serves an API from generic code: the overloads cannot see its kinds, the endpoint finds them out at run time.
func genericEndpoint<API: LitAPI>(_ api: API, path: String) -> LitEndpoint {
    LitEndpoint(api, path: path)
}

/// Runs `executable` with `arguments`, returns its exit status and standard output.
func runTool(_ executable: String, _ arguments: [String], timeout: Double = 120) throws -> (Int32, String) {
    let output = FileManager.default.temporaryDirectory.appendingPathComponent("lituv-upload-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: output.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: output) }
    let handle = try FileHandle(forWritingTo: output)
    defer { try? handle.close() }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    environment["NO_PROXY"] = "127.0.0.1,localhost"
    environment["no_proxy"] = "127.0.0.1,localhost"
    environment["PYTHONUNBUFFERED"] = "1"
    process.environment = environment
    process.standardOutput = handle
    process.standardError = handle
    try process.run()
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { usleep(10_000) }
    if process.isRunning {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
    return (process.terminationStatus, (try? String(contentsOf: output, encoding: .utf8)) ?? "")
}

@Suite("Uploads: multipart and urlencoded forms end to end", .serialized)
struct UploadTests {
    private func server(formLimits: FormLimits = FormLimits(), maxBatchSize: Int = 1) throws -> LitServer {
        var upload = LitEndpoint(
            FormSummary(),
            path: "/predict",
            maxBatchSize: maxBatchSize,
            batchTimeout: .milliseconds(maxBatchSize > 1 ? 300 : 0)
        )
        upload.formLimits = formLimits
        return try LitServer(
            endpoints: [
                upload,
                LitEndpoint(FieldsEcho(), path: "/form"),
                LitEndpoint(binaryStreaming: ByteBlocks(), contentType: "application/octet-stream", path: "/stream"),
                genericEndpoint(EchoBytes(), path: "/generic"),
            ],
            configuration: testConfiguration()
        )
    }

    @Test func curlFormUploadSendsTheFileAndTheFields() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("lituv-cat-\(UUID().uuidString).png")
        let image: [UInt8] = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 7) } + Array("\r\n--x\r\n".utf8)
        try Data(image).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        try withRunningServer(try server()) { running in
            let (status, output) = try runTool(
                "/usr/bin/curl",
                [
                    "-sS", "-F", "file=@\(file.path);type=image/png", "-F", "note=hello", "-F", "empty=",
                    "http://127.0.0.1:\(running.port)/predict",
                ]
            )
            #expect(status == 0, "\(output)")
            let object = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any]
            let parts = object?["parts"] as? [[String: Any]] ?? []
            #expect(parts.count == 3, "\(output)")
            let filePart = parts.first { $0["name"] as? String == "file" }
            #expect(filePart?["filename"] as? String == file.lastPathComponent)
            #expect(filePart?["contentType"] as? String == "image/png")
            #expect(filePart?["bytes"] as? Int == image.count)
            #expect(filePart?["checksum"] as? Int == uploadChecksum(image))
            #expect(parts.first { $0["name"] as? String == "note" }?["text"] as? String == "hello")
            #expect(parts.first { $0["name"] as? String == "empty" }?["bytes"] as? Int == 0)
        }
    }

    @Test func pythonRequestsUploadsAFileWithFieldsAndAnURLEncodedForm() throws {
        let python = repositoryRoot.appendingPathComponent(".build-python/venv/bin/python")
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            throw ClientTestError("The Python venv is missing (\(python.path)). Run scripts/setup-python first.")
        }
        try withRunningServer(try server()) { running in
            let (status, output) = try runTool(
                python.path,
                [
                    repositoryRoot.appendingPathComponent("Tests/python/upload_client_test.py").path,
                    "--base-url", "http://127.0.0.1:\(running.port)",
                ]
            )
            #expect(status == 0, "\(output)")
            #expect(output.contains("upload client checks passed"), "\(output)")
        }
    }

    @Test func urlEncodedFieldsArePercentDecodedAndABadEscapeIs400() throws {
        try withRunningServer(try server()) { running in
            let client = try TestClient(port: running.port)
            try client.send(
                postBytes(
                    "/form",
                    contentType: "application/x-www-form-urlencoded",
                    body: Array("a=1%202&b=caf%C3%A9+x".utf8)
                )
            )
            let good = try client.readResponse()
            #expect(good.status == 200)
            #expect(jsonObject(good)?["a"] as? String == "1 2")
            #expect(jsonObject(good)?["b"] as? String == "café x")
            try client.send(
                postBytes("/form", contentType: "application/x-www-form-urlencoded", body: Array("a=%zz".utf8))
            )
            let bad = try client.readResponse()
            #expect(bad.status == 400)
            #expect((jsonObject(bad)?["detail"] as? String ?? "").isEmpty == false)
        }
    }

    @Test func everyMalformedOrOversizedUploadIsRefusedWithItsReasonAndTheServerKeepsServing() throws {
        let limits = FormLimits(maxParts: 2, maxPartBytes: 1000)
        try withRunningServer(try server(formLimits: limits)) { running in
            let port = running.port
            // A JSON body on an upload route: 415, naming the accepted type.
            let (_, json) = try sendRaw(
                TestClient.format("POST", "/predict", body: "{}", headers: ["Content-Type: application/json"]),
                port: port
            )
            #expect(json.status == 415)
            #expect((jsonObject(json)?["detail"] as? String ?? "").contains("multipart/form-data"))
            // No boundary, and an invalid one: 400 before the body is read.
            let (_, noBoundary) = try sendRaw(
                TestClient.format("POST", "/predict", body: "x", headers: ["Content-Type: multipart/form-data"]),
                port: port
            )
            #expect(noBoundary.status == 400)
            #expect((jsonObject(noBoundary)?["detail"] as? String ?? "").contains("boundary"))
            let (_, badBoundary) = try sendRaw(
                TestClient.format(
                    "POST",
                    "/predict",
                    body: "x",
                    headers: ["Content-Type: multipart/form-data; boundary=\(String(repeating: "b", count: 71))"]
                ),
                port: port
            )
            #expect(badBoundary.status == 400)
            let client = try TestClient(port: port)
            // No final boundary: 400.
            var truncated = multipartBody(boundary: "XyZ", parts: [("a", nil, nil, Array("1".utf8))])
            truncated.removeLast("--XyZ--\r\n".utf8.count)
            try client.send(postBytes("/predict", contentType: "multipart/form-data; boundary=XyZ", body: truncated))
            let missingEnd = try client.readResponse()
            #expect(missingEnd.status == 400)
            // A part over maxPartBytes, and more parts than maxParts: 413.
            let big = multipartBody(boundary: "XyZ", parts: [("f", "f.bin", nil, [UInt8](repeating: 1, count: 1001))])
            try client.send(postBytes("/predict", contentType: "multipart/form-data; boundary=XyZ", body: big))
            let tooBig = try client.readResponse()
            #expect(tooBig.status == 413)
            let many = multipartBody(boundary: "XyZ", parts: (0..<3).map { ("p\($0)", nil, nil, [UInt8]()) })
            try client.send(postBytes("/predict", contentType: "multipart/form-data; boundary=XyZ", body: many))
            let tooMany = try client.readResponse()
            #expect(tooMany.status == 413)
            // Still serving, on the same connection.
            let fine = multipartBody(
                boundary: "XyZ",
                parts: [("f", "f.bin", "image/png", [UInt8](repeating: 2, count: 1000))]
            )
            try client.send(postBytes("/predict", contentType: "multipart/form-data; boundary=XyZ", body: fine))
            let accepted = try client.readResponse()
            #expect(accepted.status == 200)
            #expect((jsonObject(accepted)?["parts"] as? [[String: Any]])?.first?["bytes"] as? Int == 1000)
        }
    }

    @Test func aBatchOfUploadsReachesPredictBatchAsAnArray() throws {
        try withRunningServer(try server(maxBatchSize: 4)) { running in
            let clients = try (0..<4).map { index in
                let client = try TestClient(port: running.port)
                let body = multipartBody(
                    boundary: "b\(index)",
                    parts: [
                        ("file", "f\(index).bin", "application/octet-stream", [UInt8](repeating: 9, count: index + 1))
                    ]
                )
                try client.send(
                    postBytes("/predict", contentType: "multipart/form-data; boundary=b\(index)", body: body)
                )
                return client
            }
            var sizes: [Int] = []
            var batches: [Int] = []
            for client in clients {
                let object = jsonObject(try client.readResponse())
                sizes.append((object?["parts"] as? [[String: Any]])?.first?["bytes"] as? Int ?? -1)
                batches.append(object?["batch"] as? Int ?? 0)
            }
            #expect(sizes == [1, 2, 3, 4])
            #expect(batches.max() ?? 0 > 1, "uploads sent together within the batch window share a batch: \(batches)")
        }
    }

    @Test func aBinaryStreamIsSentChunkedWithItsContentType() throws {
        try withRunningServer(try server()) { running in
            let client = try TestClient(port: running.port)
            let response = try client.request("POST", "/stream", body: #"{"count":5,"size":70000}"#)
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == "application/octet-stream")
            #expect(response.header("Transfer-Encoding") == "chunked")
            #expect(response.body.count == 5 * 70000)
            #expect(Array(response.body[(4 * 70000)...]).allSatisfy { $0 == 4 })
        }
    }

    @Test func anEndpointCreatedFromGenericCodeStillTakesRawBodiesAndAnswersCustomResponses() throws {
        try withRunningServer(try server()) { running in
            let client = try TestClient(port: running.port)
            try client.send(postBytes("/generic", contentType: "audio/wav", body: Array("RIFF....".utf8)))
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == "audio/wav")
            #expect(response.bodyText == "RIFF....")
        }
    }
}
