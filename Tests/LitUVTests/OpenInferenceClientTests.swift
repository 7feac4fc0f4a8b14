import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The repository root (this file is Tests/LitUVTests/OpenInferenceClientTests.swift).
private let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// The interpreter of the venv made by `scripts/setup-python`, which has `tritonclient[http]`.
private func venvPython() throws -> URL {
    let python = repositoryRoot.appendingPathComponent(".build-python/venv/bin/python")
    guard FileManager.default.isExecutableFile(atPath: python.path) else {
        throw ClientTestError(
            "The Python venv with tritonclient is missing (\(python.path)). Run scripts/setup-python first."
        )
    }
    return python
}

/// Runs Tests/python/open_inference_client_test.py against `port` and returns its exit status and output.
private func runTritonClient(port: Int, timeout: Double = 120) throws -> (status: Int32, output: String) {
    let python = try venvPython()
    let log = FileManager.default.temporaryDirectory.appendingPathComponent("lituv-oip-\(UUID().uuidString).log")
    _ = FileManager.default.createFile(atPath: log.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: log) }
    let handle = try FileHandle(forWritingTo: log)
    defer { try? handle.close() }

    let process = Process()
    process.executableURL = python
    process.arguments = [
        repositoryRoot.appendingPathComponent("Tests/python/open_inference_client_test.py").path,
        "--url", "127.0.0.1:\(port)",
    ]
    var environment = ProcessInfo.processInfo.environment
    environment["PYTHONUNBUFFERED"] = "1"
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
        throw ClientTestError("open_inference_client_test.py did not finish within \(Int(timeout)) s:\n\(output)")
    }
    return (process.terminationStatus, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
}

/// Stops an example process with SIGTERM and checks it exits 0.
private func stop(_ example: ExampleProcess) {
    kill(example.process.processIdentifier, SIGTERM)
    #expect(example.waitForExit() == 0)
}

/// Waits until `/v2/health/ready` answers 200 (every worker finished `setup`).
private func waitUntilReady(_ example: ExampleProcess) throws {
    let client = try TestClient(port: example.port)
    for _ in 0..<500 where try client.request("GET", "/v2/health/ready").status != 200 { usleep(10_000) }
}

@Suite("Triton's tritonclient.http against lituv-example --open-inference", .serialized)
struct OpenInferenceClientTests {
    @Test func tritonClientChecksPassAgainstTheSquareModel() throws {
        _ = try venvPython()  // fail with the set-up hint before starting a server
        let example = try ExampleProcess(
            arguments: ["--model", "square", "--open-inference", "--io-threads", "2", "--max-batch-size", "8"]
        )
        defer { stop(example) }
        try waitUntilReady(example)
        let (status, output) = try runTritonClient(port: example.port)
        #expect(status == 0, "open_inference_client_test.py failed:\n\(output)")
        #expect(output.contains(" passed, 0 failed"), "\(output)")
    }

    @Test func theExampleServesSquareOnBothPredictAndTheProtocol() throws {
        let example = try ExampleProcess(arguments: ["--model", "square", "--open-inference", "--io-threads", "1"])
        defer { stop(example) }
        let client = try TestClient(port: example.port)
        let body = #"{"inputs":[{"name":"input","shape":[2],"datatype":"FP32","data":[3,-0.5]}]}"#
        let response = try client.request("POST", "/v2/models/square/infer", body: body)
        #expect(response.status == 200)
        #expect(
            response.bodyText
                == #"{"model_name":"square","outputs":[{"name":"output","datatype":"FP32","shape":[2],"data":[9.0,0.25]}]}"#
        )
        #expect(try client.request("POST", "/predict", body: #"{"input": 4.0}"#).bodyText == #"{"output":16.0}"#)
    }

    @Test func theFlagIsRefusedForOtherModelsAndInline() throws {
        for arguments in [
            ["--model", "sleep", "--open-inference"], ["--model", "square", "--open-inference", "--inline"],
        ] {
            let process = Process()
            process.executableURL = try exampleExecutable()
            process.arguments = ["--port", "0"] + arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus != 0, "\(arguments)")
        }
    }
}
