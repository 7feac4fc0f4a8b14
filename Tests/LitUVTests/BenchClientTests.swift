import Foundation
import Testing

@testable import LitUV

/// The `lituv-bench` binary next to the test bundle (built with the package by `swift build --build-tests`).
func benchExecutable() throws -> URL {
    let example = try exampleExecutable()
    let bench = example.deletingLastPathComponent().appendingPathComponent("lituv-bench")
    guard FileManager.default.isExecutableFile(atPath: bench.path) else {
        throw TestClientError.malformed("lituv-bench not found at \(bench.path); run `swift build` first")
    }
    return bench
}

/// LitUV's own client path: lituv-bench's libuv + OpenSSL client against a LitUV server.
@Suite("lituv-bench as a client")
struct BenchClientTests {
    func runBench(_ arguments: [String]) throws -> [String: Any] {
        let process = Process()
        process.executableURL = try benchExecutable()
        process.arguments = arguments + ["--json"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = Pipe()
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
        return (try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]) ?? [:]
    }

    @Test func predictionsOverVerifiedTLSWithLitUVsOwnClient() throws {
        let tls = try TLSFixtures.shared()
        var configuration = testConfiguration()
        configuration.tls = tls.files
        let server = try LitServer(SquareAPI(), configuration: configuration)
        try withRunningServer(server) { running in
            let result = try runBench([
                "--url", "https://localhost:\(running.port)/predict", "--cacert", tls.caCertificate,
                "--body", #"{"input": 4.0}"#, "-c", "4", "-d", "1", "--warmup", "0",
            ])
            #expect((result["rps"] as? NSNumber)?.doubleValue ?? 0 > 0)
            #expect((result["non2xx"] as? NSNumber)?.intValue == 0)
            #expect((result["errors_total"] as? NSNumber)?.intValue == 0)
            #expect((result["tls_handshakes"] as? NSNumber)?.intValue == 4)
            #expect(result["loop_close_ok"] as? Bool == true)
        }
    }
}
