import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The repository root (this file is Tests/LitUVTests/OpenAIClientTests.swift).
private let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// The interpreter of the venv made by `scripts/setup-python`, which has the official `openai` package.
private func venvPython() throws -> URL {
    let python = repositoryRoot.appendingPathComponent(".build-python/venv/bin/python")
    guard FileManager.default.isExecutableFile(atPath: python.path) else {
        throw ClientTestError(
            "The Python venv with the openai package is missing (\(python.path)). Run scripts/setup-python first."
        )
    }
    return python
}

struct ClientTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs Tests/python/openai_client_test.py against `port` and returns its exit status and output.
private func runOpenAIClient(port: Int, model: String, timeout: Double = 120) throws -> (status: Int32, output: String)
{
    let python = try venvPython()
    let log = FileManager.default.temporaryDirectory.appendingPathComponent("lituv-openai-\(UUID().uuidString).log")
    _ = FileManager.default.createFile(atPath: log.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: log) }
    let handle = try FileHandle(forWritingTo: log)
    defer { try? handle.close() }

    let process = Process()
    process.executableURL = python
    process.arguments = [
        repositoryRoot.appendingPathComponent("Tests/python/openai_client_test.py").path,
        "--base-url", "http://127.0.0.1:\(port)/v1", "--model", model,
    ]
    var environment = ProcessInfo.processInfo.environment
    environment["PYTHONUNBUFFERED"] = "1"
    environment["OPENAI_API_KEY"] = nil
    environment["OPENAI_BASE_URL"] = nil
    environment["NO_PROXY"] = "127.0.0.1,localhost"  // the server is local, whatever proxy the machine has
    environment["no_proxy"] = "127.0.0.1,localhost"
    process.environment = environment
    process.standardOutput = handle
    process.standardError = handle
    try process.run()
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { usleep(10_000) }
    if process.isRunning {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        throw ClientTestError("openai_client_test.py did not finish within \(Int(timeout)) s:\n\(output)")
    }
    return (process.terminationStatus, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
}

/// Stops an example process with SIGTERM and checks it exits 0.
private func stop(_ example: ExampleProcess) {
    kill(example.process.processIdentifier, SIGTERM)
    #expect(example.waitForExit() == 0)
}

/// Waits until `/health` answers 200 (every worker finished `setup`).
private func waitUntilHealthy(_ example: ExampleProcess) throws {
    let client = try TestClient(port: example.port)
    for _ in 0..<500 where try client.request("GET", "/health").status != 200 { usleep(10_000) }
}

@Suite("The official openai Python client against lituv-example", .serialized)
struct OpenAIClientTests {
    @Test func chatCompletionsPlainStreamedAndWithToolsPassWithTheOpenAIClient() throws {
        _ = try venvPython()  // fail with the set-up hint before starting a server
        let example = try ExampleProcess(arguments: ["--model", "tiny-lm", "--io-threads", "2"])
        defer { stop(example) }
        try waitUntilHealthy(example)
        let (status, output) = try runOpenAIClient(port: example.port, model: "tiny-lm")
        #expect(status == 0, "openai_client_test.py failed:\n\(output)")
        #expect(output.contains(" passed, 0 failed"), "\(output)")
    }

    @Test func chatCompletionsThroughTheContinuousStepLoopPassWithTheOpenAIClient() throws {
        _ = try venvPython()  // fail with the set-up hint before starting a server
        let example = try ExampleProcess(arguments: [
            "--model", "tiny-lm", "--io-threads", "2", "--continuous", "--step-delay-ms", "1", "--max-active", "8",
        ])
        defer { stop(example) }
        try waitUntilHealthy(example)
        let (status, output) = try runOpenAIClient(port: example.port, model: "tiny-lm")
        #expect(status == 0, "openai_client_test.py failed:\n\(output)")
        #expect(output.contains(" passed, 0 failed"), "\(output)")
    }

    @Test func embeddingsAsFloatAndBase64PassWithTheOpenAIClient() throws {
        _ = try venvPython()  // fail with the set-up hint before starting a server
        let example = try ExampleProcess(arguments: ["--model", "embed", "--io-threads", "2", "--max-batch-size", "4"])
        defer { stop(example) }
        try waitUntilHealthy(example)
        let (status, output) = try runOpenAIClient(port: example.port, model: "embed")
        #expect(status == 0, "openai_client_test.py failed:\n\(output)")
        #expect(output.contains(" passed, 0 failed"), "\(output)")
    }
}

@Suite("lituv-example's tiny-lm and embed models")
struct OpenAIExampleModelTests {
    @Test func tinyLMStreamsDeterministicNDJSONTokensOnPredict() throws {
        let example = try ExampleProcess(arguments: ["--model", "tiny-lm", "--io-threads", "1"])
        defer { stop(example) }
        let client = try TestClient(port: example.port)
        let body = #"{"prompt": "Alice was", "max_tokens": 6, "seed": 3}"#
        let first = try client.request("POST", "/predict", body: body)
        #expect(first.status == 200)
        #expect(first.header("Content-Type") == "application/x-ndjson")
        let lines = first.bodyText.split(separator: "\n").map(String.init)
        #expect(lines.count == 6)
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
            #expect(object.keys.sorted() == ["token"])
            #expect(object["token"]?.hasPrefix(" ") == true, "continuing the prompt: \(line)")
        }
        let second = try client.request("POST", "/predict", body: body)
        #expect(second.bodyText == first.bodyText, "the same seed gives the same tokens")
        let invalid = try client.request("POST", "/predict", body: #"{"prompt": "x", "max_tokens": 0}"#)
        #expect(invalid.status == 422)
    }

    @Test func tinyLMWaitsTokenDelayBeforeEachToken() throws {
        let example = try ExampleProcess(arguments: [
            "--model", "tiny-lm", "--io-threads", "1", "--token-delay-ms", "40",
        ])
        defer { stop(example) }
        try waitUntilHealthy(example)
        let client = try TestClient(port: example.port)
        let start = ContinuousClock.now
        let response = try client.request("POST", "/predict", body: #"{"prompt": "x", "max_tokens": 5}"#)
        #expect(response.status == 200)
        #expect(ContinuousClock.now - start >= .milliseconds(200), "5 tokens × 40 ms at least")
    }

    @Test func embedAnswersOnPredictAndOnTheOpenAIRoute() throws {
        let example = try ExampleProcess(arguments: ["--model", "embed", "--io-threads", "1"])
        defer { stop(example) }
        let client = try TestClient(port: example.port)
        let plain = try client.request("POST", "/predict", body: #"{"input": "a white rabbit", "dimensions": 8}"#)
        #expect(plain.status == 200)
        let embedding = try #require(jsonObject(plain)?["embedding"] as? [Double])
        #expect(embedding.count == 8)
        #expect(abs(embedding.reduce(0) { $0 + $1 * $1 } - 1) < 1e-5)
        let openAI = try client.request(
            "POST",
            "/v1/embeddings",
            body: #"{"model": "embed", "input": "a white rabbit", "dimensions": 8}"#
        )
        #expect(openAI.status == 200)
        let data = try #require(jsonObject(openAI)?["data"] as? [[String: Any]])
        #expect(data.first?["embedding"] as? [Double] == embedding, "the same vector on both routes")
        let models = try client.request("GET", "/v1/models")
        #expect(models.bodyText.contains(#""id":"embed""#))
    }
}
