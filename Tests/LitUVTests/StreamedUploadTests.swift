import Foundation
import Testing

@testable import LitUV

#if canImport(Glibc)
import Glibc
#endif

/// Multipart bodies are parsed on the I/O loop as they arrive: refusals come before the body ends, and framing
/// (pipelining, chunked bodies, bodies in many small reads) is unchanged.
@Suite("Uploads parsed as they arrive", .serialized)
struct StreamedUploadTests {
    private static let formType = "multipart/form-data; boundary=XyZ"

    private func server(formLimits: FormLimits = FormLimits()) throws -> LitServer {
        var upload = LitEndpoint(FormSummary(), path: "/predict")
        upload.formLimits = formLimits
        return try LitServer(endpoints: [upload], configuration: testConfiguration())
    }

    private func partCount(_ response: TestResponse) -> Int? {
        (jsonObject(response)?["parts"] as? [[String: Any]])?.count
    }

    @Test func aPartOverTheLimitIsRefusedBeforeTheRestOfTheBodyIsSent() throws {
        try withRunningServer(try server(formLimits: FormLimits(maxPartBytes: 1000))) { running in
            let client = try TestClient(port: running.port)
            // Announces 15 MiB, sends the first part's start and 2,000 bytes of it, and never the rest.
            let start = Array(
                "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n\r\n".utf8
            )
            let head =
                "POST /predict HTTP/1.1\r\nHost: t\r\nContent-Type: \(Self.formType)\r\n"
                + "Content-Length: \(15 << 20)\r\n\r\n"
            try client.send(Array(head.utf8) + start + [UInt8](repeating: 7, count: 2000))
            let response = try client.readResponse()
            #expect(response.status == 413)
            #expect(errorDetail(response).contains("1000"), "\(errorDetail(response))")
            client.shutdownWrite()  // gives up on the body: the server closes the connection
            #expect(client.isClosedByServer())
            // The server is still serving others.
            let other = try TestClient(port: running.port)
            let body = multipartBody(boundary: "XyZ", parts: [("a", nil, nil, Array("1".utf8))])
            try other.send(postBytes("/predict", contentType: Self.formType, body: body))
            #expect(try other.readResponse().status == 200)
        }
    }

    @Test func uploadsPipelinedOnOneConnectionAreAllAnsweredInOrder() throws {
        try withRunningServer(try server(formLimits: FormLimits(maxPartBytes: 1000))) { running in
            let client = try TestClient(port: running.port)
            var bytes: [UInt8] = []
            let sizes = [10, 5000, 700, 1, 2000, 999]  // 5000 and 2000 are over the limit: 413, the others 200
            for size in sizes {
                let body = multipartBody(
                    boundary: "XyZ",
                    parts: [("file", "f.bin", nil, [UInt8](repeating: 3, count: size)), ("n", nil, nil, [0x31])]
                )
                bytes += postBytes("/predict", contentType: Self.formType, body: body)
            }
            try client.send(bytes)
            for size in sizes {
                let response = try client.readResponse()
                if size > 1000 {
                    #expect(response.status == 413)
                } else {
                    #expect(response.status == 200)
                    let parts = jsonObject(response)?["parts"] as? [[String: Any]]
                    #expect(parts?.first?["bytes"] as? Int == size)
                    #expect(parts?.count == 2)
                }
            }
        }
    }

    @Test func aChunkedUploadWithoutContentLengthIsParsed() throws {
        try withRunningServer(try server()) { running in
            let client = try TestClient(port: running.port)
            let file = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 13) }
            let body = multipartBody(
                boundary: "XyZ",
                parts: [("file", "f.bin", "application/octet-stream", file), ("note", nil, nil, Array("hi".utf8))]
            )
            var request = Array(
                ("POST /predict HTTP/1.1\r\nHost: t\r\nContent-Type: \(Self.formType)\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n").utf8
            )
            var offset = 0
            while offset < body.count {
                let end = min(offset + 4093, body.count)
                request += Array(String(end - offset, radix: 16).utf8) + [13, 10] + body[offset..<end] + [13, 10]
                offset = end
            }
            request += Array("0\r\n\r\n".utf8)
            try client.send(request)
            let response = try client.readResponse()
            #expect(response.status == 200)
            let parts = jsonObject(response)?["parts"] as? [[String: Any]]
            #expect(parts?.first?["bytes"] as? Int == file.count)
            #expect(parts?.first?["checksum"] as? Int == uploadChecksum(file))
            #expect(parts?.last?["text"] as? String == "hi")
        }
    }

    @Test func aBadBodySentInManySmallWritesGetsItsBadRequest() throws {
        try withRunningServer(try server()) { running in
            let client = try TestClient(port: running.port)
            // A part header line that ends with a bare LF: malformed.
            var body = Array("--XyZ\r\nContent-Disposition: form-data; name=\"a\"\n\r\n".utf8)
            body += [UInt8](repeating: 5, count: 300) + Array("\r\n--XyZ--\r\n".utf8)
            let request = postBytes("/predict", contentType: Self.formType, body: body)
            var offset = 0
            while offset < request.count {
                let end = min(offset + 7, request.count)
                try client.send(Array(request[offset..<end]))
                usleep(300)
                offset = end
            }
            let response = try client.readResponse()
            #expect(response.status == 400)
            #expect(!errorDetail(response).isEmpty)
            // The connection still serves a good upload after it.
            let good = multipartBody(boundary: "XyZ", parts: [("a", nil, nil, Array("1".utf8))])
            try client.send(postBytes("/predict", contentType: Self.formType, body: good))
            let next = try client.readResponse()
            #expect(next.status == 200)
            #expect(partCount(next) == 1)
        }
    }

    @Test func rawBodyHeaderFieldsAreKeptPackedAndDecodedWhenRead() {
        let packed = Array("Host:t\nContent-Type:image/png\nX-Empty:\nX-Colon:a:b\n".utf8)
        let body = RawBody(bytes: [1, 2], contentType: "image/png", packedHeaders: packed)
        #expect(body.header("content-type") == "image/png")
        #expect(body.header("X-COLON") == "a:b")
        #expect(body.header("x-empty") == "")
        #expect(body.header("x-missing") == nil)
        let headers = body.headers
        #expect(headers.map(\.name) == ["Host", "Content-Type", "X-Empty", "X-Colon"])
        #expect(headers.map(\.value) == ["t", "image/png", "", "a:b"])
        var edited = body
        edited.headers = [("A", "b")]
        #expect(edited.header("a") == "b")
        #expect(edited.header("host") == nil)
    }
}
