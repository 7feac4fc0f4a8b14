import Foundation
import Testing

/// The server thread options that `lituv-example` and `lituv-bench --self` share (`ServerThreadOptions`): both
/// programs accept and refuse the same values with the same messages.
@Suite("Shared command-line options")
struct CommandLineOptionsTests {
    /// Runs `executable` with `arguments` and returns its exit status and standard error.
    private func run(_ executable: URL, _ arguments: [String]) throws -> (status: Int32, errors: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = Pipe()
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    @Test(arguments: [
        (["--io-threads", "0"], "--io-threads must be at least 1"),
        (["--io-threads=-3"], "--io-threads must be at least 1"),
        (["--workers", "0"], "--workers must be at least 1"),
    ])
    func bothProgramsRefuseTheSameBadThreadCounts(arguments: [String], message: String) throws {
        let example = try run(try exampleExecutable(), ["--port", "0"] + arguments)
        #expect(example.status != 0)
        #expect(example.errors.contains(message), "lituv-example said: \(example.errors)")
        let bench = try run(try benchExecutable(), ["--self", "-d", "1"] + arguments)
        #expect(bench.status != 0)
        #expect(bench.errors.contains(message), "lituv-bench said: \(bench.errors)")
    }

    @Test func bothProgramsDescribeTheThreadOptionsAlike() throws {
        let example = Process()
        example.executableURL = try exampleExecutable()
        example.arguments = ["--help"]
        let bench = Process()
        bench.executableURL = try benchExecutable()
        bench.arguments = ["--help"]
        var helps: [String] = []
        for process in [example, bench] {
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            helps.append(String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
            process.waitUntilExit()
        }
        for help in helps {
            #expect(help.contains("--io-threads <io-threads>"))
            #expect(help.contains("The server's predict workers per device. (default: 1)"))
        }
    }
}
