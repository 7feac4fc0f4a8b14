import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The `lituv-example` binary next to the test bundle (built by `swift build --build-tests`).
func exampleExecutable() throws -> URL {
    let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    var directory = exe.deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = directory.appendingPathComponent("lituv-example")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        directory = directory.deletingLastPathComponent()
    }
    throw TestClientError.malformed("lituv-example not found near \(exe.path); run `swift build` first")
}

/// A running `lituv-example` process and the port it printed.
final class ExampleProcess {
    let process = Process()
    let output = Pipe()
    let errors = Pipe()
    private(set) var port = 0
    private(set) var printed = ""

    init(arguments: [String], environment: [String: String?] = [:]) throws {
        process.executableURL = try exampleExecutable()
        process.arguments = ["--port", "0"] + arguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }  // nil removes the variable
        process.environment = env
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Read until the "serving ... on http://host:port" line.
        let handle = output.fileHandleForReading
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            let data = handle.availableData
            if data.isEmpty { break }
            printed += String(decoding: data, as: UTF8.self)
            if let range = printed.range(of: #"http://[^ ]+:(\d+)"#, options: .regularExpression) {
                let url = printed[range]
                if let colon = url.lastIndex(of: ":"), let port = Int(url[url.index(after: colon)...]) {
                    self.port = port
                    return
                }
            }
        }
        process.terminate()
        throw TestClientError.malformed("lituv-example did not print its URL: \(printed)")
    }

    /// Waits for exit (at most `timeout` seconds) and returns the exit status.
    func waitForExit(timeout: Double = 30) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        if process.isRunning {
            process.interrupt()
            kill(process.processIdentifier, SIGKILL)
            return nil
        }
        return process.terminationStatus
    }

    var standardError: String { Self.text(of: errors) }

    /// What was written to `pipe`, read until end of file or for `timeout` seconds at most: a process that inherited
    /// the pipe (a supervisor's child that outlived it) keeps it open, and must fail a test, not hang it.
    static func text(of pipe: Pipe, timeout: Double = 10) -> String {
        let descriptor = pipe.fileHandleForReading.fileDescriptor
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            var ready = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&ready, 1, 100) > 0 else { continue }
            let count = read(descriptor, &chunk, chunk.count)
            if count <= 0 { break }
            bytes += chunk[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

@Suite("lituv-example process")
struct ExampleProcessTests {
    @Test func servesTheSquareModel() throws {
        let example = try ExampleProcess(arguments: ["--model", "square", "--io-threads", "1"])
        defer {
            kill(example.process.processIdentifier, SIGTERM)
            _ = example.waitForExit()
        }
        let response = try TestClient(port: example.port).request("POST", "/predict", body: #"{"input": 4.0}"#)
        #expect(response.status == 200)
        #expect(response.bodyText == #"{"output":16.0}"#)
    }

    @Test func pipelineFlagsTakeEffect() throws {
        let example = try ExampleProcess(
            arguments: [
                "--model", "square", "--io-threads", "1", "--api-key", "flag-key", "--request-id",
                "--cors-origin", "https://a.example", "--cors-origin", "https://b.example", "--access-log",
                "--trusted-host", "test",
            ],
            environment: ["LIT_SERVER_API_KEY": nil]
        )
        defer {
            kill(example.process.processIdentifier, SIGTERM)
            _ = example.waitForExit()
        }
        let client = try TestClient(port: example.port)
        expectJSONError(try client.request("GET", "/info"), status: 401)
        let response = try client.request(
            "POST",
            "/predict",
            body: #"{"input": 4.0}"#,
            headers: ["X-API-Key: flag-key", "X-Request-Id: flags-1", "Origin: https://b.example"]
        )
        #expect(response.status == 200)
        #expect(response.header("X-Request-Id") == "flags-1")
        #expect(response.header("Access-Control-Allow-Origin") == "https://b.example")
        kill(example.process.processIdentifier, SIGTERM)
        _ = example.waitForExit()
        let printed =
            String(decoding: example.output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            + example.standardError
        #expect(printed.contains("request_id=flags-1"), "access log line: \(printed)")
        #expect(!printed.contains("flag-key"), "the key is never printed")
    }

    @Test func sigtermExitsZeroWithInFlightWorkAnswered() throws {
        let example = try ExampleProcess(arguments: ["--model", "sleep", "--predict-delay-ms", "400"])
        let client = try TestClient(port: example.port)
        // Wait for the worker to be ready so the prediction is running when SIGTERM arrives.
        let probe = try TestClient(port: example.port)
        for _ in 0..<200 where try probe.request("GET", "/health").status != 200 { usleep(10_000) }
        try client.send(TestClient.format("POST", "/predict", body: #"{"input": 3}"#))
        usleep(100_000)
        kill(example.process.processIdentifier, SIGTERM)
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.bodyText.contains("9"))
        #expect(example.waitForExit() == 0)
    }

    @Test func sigintExitsZero() throws {
        let example = try ExampleProcess(arguments: [])
        kill(example.process.processIdentifier, SIGINT)
        #expect(example.waitForExit() == 0)
    }

    @Test func aTakenPortExitsNonZeroWithAClearMessage() throws {
        let first = try ExampleProcess(arguments: [])
        defer {
            kill(first.process.processIdentifier, SIGTERM)
            _ = first.waitForExit()
        }
        let second = Process()
        second.executableURL = try exampleExecutable()
        second.arguments = ["--port", String(first.port)]
        let errors = Pipe()
        second.standardError = errors
        second.standardOutput = Pipe()
        try second.run()
        second.waitUntilExit()
        #expect(second.terminationStatus != 0)
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(message.contains("already in use"))
    }

    @Test func generatedShutdownKeyIsPrintedWithARunnableCurlLine() throws {
        let example = try ExampleProcess(
            arguments: ["--enable-shutdown-api"],
            environment: ["LIT_SHUTDOWN_API_KEY": nil]
        )
        let errorHandle = example.errors.fileHandleForReading
        var text = ""
        let deadline = Date().addingTimeInterval(10)
        while !text.contains("\n  curl") || !text.hasSuffix("\n"), Date() < deadline {
            let data = errorHandle.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
        }
        let line = try #require(
            text.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("curl") }
        )
        #expect(line.contains("http://127.0.0.1:\(example.port)/shutdown"))
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/bin/sh")
        curl.arguments = ["-c", line.trimmingCharacters(in: .whitespaces) + " -s"]
        let out = Pipe()
        curl.standardOutput = out
        try curl.run()
        curl.waitUntilExit()
        #expect(
            String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                == "Server is initiating graceful shutdown."
        )
        #expect(example.waitForExit() == 0)
    }

    @Test func anEmptyShutdownKeyInTheEnvironmentExitsNonZero() throws {
        let process = Process()
        process.executableURL = try exampleExecutable()
        process.arguments = ["--port", "0", "--enable-shutdown-api"]
        var env = ProcessInfo.processInfo.environment
        env["LIT_SHUTDOWN_API_KEY"] = ""
        process.environment = env
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = Pipe()
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus != 0)
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(message.contains("empty"))
    }
}
