import Foundation
import Testing

@testable import LitUV

#if canImport(Glibc)
import Glibc
#endif

/// A client that pipelines requests faster than it reads their answers: the server stops reading it while too many
/// answer bytes wait to be sent, and the requests it has received but not parsed yet are not held to the header
/// timeout in that time (the delay is the server's choice, not the client's). A client that reads nothing at all for
/// a whole keep-alive timeout, with answers waiting, is closed.
@Suite("Slow readers")
struct SlowReaderTests {
    /// Answers `{"output": "<n bytes>"}` for `{"input": n}`: large answers from small requests.
    struct PaddingAPI: LitAPI {
        struct Request: Decodable, Sendable { var input: Int }
        struct Response: Encodable { var output: String }
        func decodeRequest(_ request: Request) throws -> Int { request.input }
        func predict(_ size: Int) throws -> String { String(repeating: "x", count: size) }
        func encodeResponse(_ text: String) throws -> Response { Response(output: text) }
    }

    private static let answerSize = 64 * 1024

    private func pipelined(_ count: Int) -> [UInt8] {
        let body = #"{"input":\#(Self.answerSize)}"#
        let request = "POST /predict HTTP/1.1\r\nHost: t\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
        return Array(String(repeating: request, count: count).utf8)
    }

    private func readAnswers(_ count: Int, from client: TestClient) throws -> Int {
        var answered = 0
        for _ in 0..<count {
            let response = try client.readResponse()
            guard response.status == 200, response.body.count == Self.answerSize + #"{"output":""}"#.utf8.count
            else { break }
            answered += 1
        }
        return answered
    }

    @Test func pipelinedRequestsHeldWhileTheServerWaitsForTheClientToReadAreAllAnswered() throws {
        // 200 answers of 64 KiB (12.5 MiB) are far more than the kernel's socket buffers and the server's 1 MiB of
        // queued output: the server stops reading with requests received but unparsed, and answers nothing more
        // until the client reads. The client reads nothing for three header timeouts.
        let configuration = testConfiguration(headerTimeout: .milliseconds(500), keepAliveTimeout: .seconds(30))
        let server = try LitServer(PaddingAPI(), configuration: configuration)
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port, timeout: 20)
            try client.send(pipelined(200))
            sleepPrecisely(.milliseconds(1500))
            #expect(try readAnswers(200, from: client) == 200)
            // The connection is still open and usable.
            let last = try client.request("POST", "/predict", body: #"{"input":5}"#)
            #expect(last.status == 200)
            #expect(last.bodyText == #"{"output":"xxxxx"}"#)
        }
    }

    /// Scrapes `/metrics` until the only open connection is the scrape's own (20 s at most).
    private func waitUntilOnlyTheScrapeIsOpen(port: Int) -> Bool {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if let scrape = try? TestClient(port: port).request("GET", "/metrics"),
                metricValue(scrape.bodyText, "lituv_open_connections") == 1
            {
                return true
            }
            usleep(100_000)
        }
        return false
    }

    @Test func aClientThatReadsNoneOfItsAnswersForAKeepAliveTimeoutIsClosed() throws {
        let configuration = testConfiguration(headerTimeout: .milliseconds(500), keepAliveTimeout: .seconds(1))
        let server = try LitServer(PaddingAPI(), configuration: configuration)
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port, timeout: 20)
            try client.send(pipelined(200))
            // The first answer proves the server accepted the connection (so the open-connections gauge counts it
            // until the server closes it); then the client reads nothing. Checked once a keep-alive timeout: the
            // first check records the unsent bytes, the second finds no progress and closes. What the kernel
            // already held reaches the client; the rest never does.
            #expect(try client.readResponse().status == 200)
            #expect(waitUntilOnlyTheScrapeIsOpen(port: running.port), "the server should close the connection")
            var answered = 1
            var closed = false
            do {
                for _ in 0..<200 {
                    _ = try client.readResponse()
                    answered += 1
                }
            } catch {
                closed = true
            }
            #expect(closed)
            #expect(answered < 200)
            expectServesNewConnection(port: running.port)
        }
    }
}
