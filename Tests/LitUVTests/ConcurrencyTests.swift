import Foundation
import Testing

@testable import LitUV

/// Many clients at once, and an independent HTTP client (curl).
@Suite("Concurrency")
struct ConcurrencyTests {
    @Test func sixtyFourConnectionsTimesHundredRequestsAreAllAnsweredCorrectly() throws {
        let connections = 64
        let requestsPerConnection = 100
        let server = try LitServer(SquareAPI(), workersPerDevice: 2, configuration: testConfiguration(ioThreads: 2))
        let failures = FailureLog()
        let answered = Counter()
        try withRunningServer(server) { running in
            let port = running.port
            runOnThreads(connections) { connection in
                do {
                    let client = try TestClient(port: port, timeout: 20)
                    for index in 0..<requestsPerConnection {
                        // Distinct inputs across the whole run, with a fractional part.
                        let input = Double(connection * requestsPerConnection + index) + 0.25
                        let response = try client.request("POST", "/predict", body: #"{"input":\#(input)}"#)
                        guard response.status == 200, let output = outputValue(response), output == input * input else {
                            failures.record(
                                "connection \(connection) request \(index): input \(input) got "
                                    + "\(response.status) \(response.bodyText)"
                            )
                            return
                        }
                        answered.increment()
                    }
                } catch {
                    failures.record("connection \(connection): \(error)")
                }
            }
        }
        #expect(failures.all.isEmpty, "\(failures.all.count) failures, first: \(failures.all.prefix(5))")
        #expect(answered.value == connections * requestsPerConnection)
    }

    // MARK: curl

    private static let curlPath = "/usr/bin/curl"

    /// Runs curl with `arguments`; returns its standard output.
    private func curl(_ arguments: [String]) throws -> String {
        guard FileManager.default.isExecutableFile(atPath: Self.curlPath) else {
            Issue.record("curl is required for this test but \(Self.curlPath) is missing; install curl (CI does)")
            throw CurlMissing()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.curlPath)
        process.arguments = ["--silent", "--show-error", "--max-time", "10"] + arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(
            process.terminationStatus == 0,
            "curl \(arguments) failed: \(String(decoding: errorData, as: UTF8.self))"
        )
        return String(decoding: data, as: UTF8.self)
    }

    private struct CurlMissing: Error {}

    @Test func curlPostToPredictGetsTheSquare() throws {
        let server = try LitServer(SquareAPI(), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let output = try curl([
                "-X", "POST",
                "-H", "Content-Type: application/json",
                "-d", #"{"input":4.0}"#,
                "-w", "\n%{http_code}",
                "http://127.0.0.1:\(running.port)/predict",
            ])
            let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.last == "200", "curl output: \(output)")
            let body = lines.dropLast().joined(separator: "\n")
            let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
            #expect((object?["output"] as? NSNumber)?.doubleValue == 16.0, "body: \(body)")
            #expect(body == #"{"output":16.0}"#)
        }
    }

    @Test func curlHeadOnHealthWorks() throws {
        let server = try LitServer(SquareAPI(), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let output = try curl(["-I", "http://127.0.0.1:\(running.port)/health"])
            let lines = output.split(separator: "\r\n").map(String.init)
            #expect(lines.first == "HTTP/1.1 200 OK", "curl output: \(output)")
            #expect(lines.contains { $0.lowercased() == "content-length: 2" }, "curl output: \(output)")
        }
    }

    @Test func curlWithExpectContinueUploadsItsBody() throws {
        // curl sends `Expect: 100-continue` for bodies over 1 KiB (older curl) / 1 MiB (newer); force it here.
        let server = try LitServer(SquareAPI(), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let start = ContinuousClock.now
            let output = try curl([
                "-X", "POST",
                "-H", "Expect: 100-continue",
                "-d", #"{"input":5.0}"#,
                "-w", "\n%{http_code}",
                "http://127.0.0.1:\(running.port)/predict",
            ])
            #expect(output.hasSuffix("\n200"), "curl output: \(output)")
            #expect(output.contains("25"), "curl output: \(output)")
            // curl waits up to 1 s for 100 Continue; the server sends it at once.
            #expect(secondsSince(start) < 0.9)
        }
    }
}
