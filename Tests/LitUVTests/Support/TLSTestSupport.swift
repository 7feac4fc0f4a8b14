import Foundation
import Logging
import Synchronization
import Testing

@testable import LitUV

#if canImport(Glibc)
import Glibc
#endif

// Support for the TLS suite: test certificates made with the openssl CLI (once per process), external clients
// (`openssl s_client`, `curl`) run as subprocesses, and a server runner for several listeners.

// MARK: - Certificates

/// Why the test certificates could not be made.
struct TLSFixtureError: Error, Sendable, CustomStringConvertible {
    var description: String
}

/// PEM files made at test time in a temporary directory, shared by every test of the process:
///
/// - a test CA (`caCertificate`) and a leaf for `localhost` and `127.0.0.1` signed by it (`certificate`, `key`);
/// - the same key encrypted with `keyPassword` (`encryptedKey`);
/// - an RSA 2048 leaf for the same names from the same CA (`rsaCertificate`, `rsaKey`);
/// - unrelated keys: `otherKey` (P-256, the leaf's type) and `otherRSAKey`;
/// - a second hierarchy root → intermediate → leaf: `chainRoot`, `chainCertificate` (leaf then intermediate) and
///   `chainKey`.
struct TLSFixtures: Sendable {
    let directory: String
    let caCertificate: String
    let certificate: String
    let key: String
    let encryptedKey: String
    let keyPassword = "correct horse battery staple"
    let rsaCertificate: String
    let rsaKey: String
    let otherKey: String
    let otherRSAKey: String
    let chainRoot: String
    let chainCertificate: String
    let chainKey: String

    /// The fixtures of this process, made on first use.
    /// - Throws: ``TLSFixtureError`` when openssl failed.
    static func shared() throws -> TLSFixtures {
        try cachedTLSFixtures.get()
    }

    fileprivate static func generate() throws(TLSFixtureError) -> TLSFixtures {
        _ = ignoreSIGPIPE
        let directory = NSTemporaryDirectory() + "lituv-tls-\(getpid())"
        try? FileManager.default.removeItem(atPath: directory)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw TLSFixtureError(description: "cannot create \(directory): \(error)")
        }
        func path(_ name: String) -> String { directory + "/" + name }
        func openssl(_ arguments: [String]) throws(TLSFixtureError) {
            let result: ToolResult
            do {
                result = try runTool(["openssl"] + arguments, timeout: 30)
            } catch {
                throw TLSFixtureError(description: "openssl \(arguments.joined(separator: " ")): \(error)")
            }
            guard result.status == 0 else {
                throw TLSFixtureError(
                    description: "openssl \(arguments.joined(separator: " ")) failed: \(result.output)"
                )
            }
        }
        func write(_ text: String, to name: String) throws(TLSFixtureError) {
            do {
                try text.write(toFile: path(name), atomically: true, encoding: .utf8)
            } catch {
                throw TLSFixtureError(description: "cannot write \(name): \(error)")
            }
        }
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        let rsa = ["-newkey", "rsa:2048", "-nodes"]
        func makeCA(_ name: String, subject: String) throws(TLSFixtureError) {
            try openssl(
                ["req", "-x509"] + ec + [
                    "-keyout", path("\(name).key"), "-out", path("\(name).pem"), "-days", "3", "-subj", subject,
                    "-addext", "basicConstraints=critical,CA:TRUE",
                    "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                ]
            )
        }
        /// A certificate for `name`.key, signed by `issuer`, with the extensions in `extensions`.
        func sign(
            _ name: String,
            subject: String,
            issuer: String,
            extensions: String,
            key: [String]? = nil
        ) throws(TLSFixtureError) {
            try openssl(
                ["req", "-new"] + (key ?? ec) + [
                    "-keyout", path("\(name).key"), "-out", path("\(name).csr"), "-subj", subject,
                ]
            )
            try openssl([
                "x509", "-req", "-in", path("\(name).csr"), "-CA", path("\(issuer).pem"), "-CAkey",
                path("\(issuer).key"), "-set_serial", String(UInt32.random(in: 1...UInt32.max)), "-days", "3",
                "-extfile", path(extensions), "-out", path("\(name).pem"),
            ])
        }
        try write(
            """
            subjectAltName=DNS:localhost,IP:127.0.0.1
            basicConstraints=critical,CA:FALSE
            keyUsage=critical,digitalSignature
            extendedKeyUsage=serverAuth

            """,
            to: "leaf.ext"
        )
        try write(
            """
            basicConstraints=critical,CA:TRUE,pathlen:0
            keyUsage=critical,keyCertSign,cRLSign

            """,
            to: "intermediate.ext"
        )

        try makeCA("ca", subject: "/CN=LitUV Test CA")
        try sign("leaf", subject: "/CN=localhost", issuer: "ca", extensions: "leaf.ext")
        try openssl([
            "pkey", "-in", path("leaf.key"), "-aes256", "-passout", "pass:correct horse battery staple", "-out",
            path("leaf-encrypted.key"),
        ])
        try sign("leaf-rsa", subject: "/CN=localhost", issuer: "ca", extensions: "leaf.ext", key: rsa)
        try openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path("other.key")])
        try openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", path("other-rsa.key")])

        try makeCA("root", subject: "/CN=LitUV Test Root")
        try sign("intermediate", subject: "/CN=LitUV Test Intermediate", issuer: "root", extensions: "intermediate.ext")
        try sign("chain-leaf", subject: "/CN=localhost", issuer: "intermediate", extensions: "leaf.ext")
        do {
            let leaf = try String(contentsOfFile: path("chain-leaf.pem"), encoding: .utf8)
            let intermediate = try String(contentsOfFile: path("intermediate.pem"), encoding: .utf8)
            try write(leaf + intermediate, to: "chain.pem")
        } catch let error as TLSFixtureError {
            throw error
        } catch {
            throw TLSFixtureError(description: "cannot assemble the chain: \(error)")
        }
        return TLSFixtures(
            directory: directory,
            caCertificate: path("ca.pem"),
            certificate: path("leaf.pem"),
            key: path("leaf.key"),
            encryptedKey: path("leaf-encrypted.key"),
            rsaCertificate: path("leaf-rsa.pem"),
            rsaKey: path("leaf-rsa.key"),
            otherKey: path("other.key"),
            otherRSAKey: path("other-rsa.key"),
            chainRoot: path("root.pem"),
            chainCertificate: path("chain.pem"),
            chainKey: path("chain-leaf.key")
        )
    }

    /// The leaf certificate and key as files.
    var files: TLSConfiguration {
        TLSConfiguration.files(certificate: certificate, key: key)
    }
}

private let cachedTLSFixtures: Result<TLSFixtures, TLSFixtureError> = {
    let result = Result { () throws(TLSFixtureError) -> TLSFixtures in try TLSFixtures.generate() }
    if case .success(let fixtures) = result {
        removeAtExitDirectory.withLock { $0 = fixtures.directory }
        atexit {
            if let directory = removeAtExitDirectory.withLock({ $0 }) {
                try? FileManager.default.removeItem(atPath: directory)
            }
        }
    }
    return result
}()

private let removeAtExitDirectory = Mutex<String?>(nil)

/// Writing to a client that already exited must not kill the test process.
private let ignoreSIGPIPE: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

// MARK: - Subprocesses

/// What a finished subprocess left.
struct ToolResult: Sendable, CustomStringConvertible {
    var status: Int32
    var stdout: String
    var stderr: String
    /// True when the process was killed because it outlived its timeout.
    var timedOut: Bool
    /// Standard output and error together.
    var output: String { stdout + stderr }
    var description: String { "exit \(status)\(timedOut ? " (timed out)" : "")\n\(stdout)\n--- stderr\n\(stderr)" }
}

/// A subprocess found through PATH, with standard input on a pipe and its output in temporary files (so a chatty
/// tool never blocks on a full pipe). One thread only.
final class RunningTool {
    let process = Process()
    private let input = Pipe()
    private let stdoutPath: String
    private let stderrPath: String
    private var inputOpen = true

    /// Starts `arguments[0]` with the rest as arguments.
    /// - Parameter stdinOpen: Keep standard input open for ``write(_:)``; false gives it /dev/null.
    init(_ arguments: [String], stdinOpen: Bool = true) throws {
        _ = ignoreSIGPIPE
        let base = NSTemporaryDirectory() + "lituv-tool-\(getpid())-\(UUID().uuidString)"
        stdoutPath = base + ".out"
        stderrPath = base + ".err"
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        if stdinOpen {
            process.standardInput = input
        } else {
            process.standardInput = FileHandle.nullDevice
            inputOpen = false
        }
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(atPath: stdoutPath)
        try? FileManager.default.removeItem(atPath: stderrPath)
    }

    /// Sends text to standard input (ignored once the process has gone).
    func write(_ text: String) {
        guard inputOpen else { return }
        try? input.fileHandleForWriting.write(contentsOf: Data(text.utf8))
    }

    /// Closes standard input (EOF for the tool).
    func closeInput() {
        guard inputOpen else { return }
        inputOpen = false
        try? input.fileHandleForWriting.close()
    }

    /// Standard output so far.
    var currentOutput: String {
        (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? ""
    }

    /// Polls standard output until it contains `text` (true) or `timeout` seconds passed (false).
    func waitForOutput(containing text: String, timeout: Double = 10) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if currentOutput.contains(text) { return true }
            if !process.isRunning { return currentOutput.contains(text) }
            usleep(2_000)
        }
        return false
    }

    /// Waits for the exit, killing the process after `timeout` seconds, and returns what it printed.
    func wait(timeout: Double = 10) -> ToolResult {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(1_000) }
        var timedOut = false
        if process.isRunning {
            timedOut = true
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        closeInput()
        let stdout = (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
        return ToolResult(status: process.terminationStatus, stdout: stdout, stderr: stderr, timedOut: timedOut)
    }
}

/// Runs a tool to completion with `input` on standard input (nil: /dev/null).
func runTool(_ arguments: [String], input: String? = nil, timeout: Double = 10) throws -> ToolResult {
    let tool = try RunningTool(arguments, stdinOpen: input != nil)
    if let input {
        tool.write(input)
        tool.closeInput()
    }
    return tool.wait(timeout: timeout)
}

// MARK: - TLS clients

/// `openssl s_client` to 127.0.0.1:`port` with SNI `localhost`, verifying against the test CA (or `caFile`).
func sClientArguments(port: Int, caFile: String? = nil, _ extra: [String] = []) throws -> [String] {
    let ca = try caFile ?? TLSFixtures.shared().caCertificate
    return [
        "openssl", "s_client", "-connect", "127.0.0.1:\(port)", "-servername", "localhost", "-CAfile", ca,
        "-verify_return_error", "-verify_hostname", "localhost",
    ] + extra
}

/// Runs `openssl s_client` with `input` on standard input.
func sClient(
    port: Int,
    caFile: String? = nil,
    _ extra: [String] = [],
    input: String? = nil,
    timeout: Double = 10
)
    throws -> ToolResult
{
    try runTool(sClientArguments(port: port, caFile: caFile, extra), input: input, timeout: timeout)
}

/// Runs `curl` against `https://127.0.0.1:port` trusting the test CA (or `caFile`). `arguments` usually end with
/// the URL(s).
func curl(_ arguments: [String], caFile: String? = nil, timeout: Double = 15) throws -> ToolResult {
    let ca = try caFile ?? TLSFixtures.shared().caCertificate
    return try runTool(["curl", "-sS", "--max-time", "10", "--cacert", ca] + arguments, timeout: timeout)
}

/// `POST /predict {"input": x}` over HTTPS with curl; returns the result whose stdout is the body.
func curlPredict(port: Int, input: Double, caFile: String? = nil) throws -> ToolResult {
    try curl(
        ["-H", "Content-Type: application/json", "-d", #"{"input":\#(input)}"#, "https://127.0.0.1:\(port)/predict"],
        caFile: caFile
    )
}

/// The `output` number in a JSON body such as `{"output":16.0}`.
func outputNumber(in body: String) -> Double? {
    let object = try? JSONSerialization.jsonObject(with: Data(body.utf8), options: [.fragmentsAllowed])
    return ((object as? [String: Any])?["output"] as? NSNumber)?.doubleValue
}

/// Every `"output":N` in `text`, in order (for raw HTTP streams with several responses).
func outputNumbers(in text: String) -> [Double] {
    var numbers: [Double] = []
    var rest = text[...]
    while let range = rest.range(of: "\"output\":") {
        let tail = rest[range.upperBound...]
        let number = tail.prefix { "0123456789.-+eE".contains($0) }
        if let value = Double(number) { numbers.append(value) }
        rest = tail
    }
    return numbers
}

/// Status codes of every `HTTP/1.1 NNN` status line in `text`, in order (a status line may follow a body or
/// s_client's own lines directly).
func statusCodes(in text: String) -> [Int] {
    text.components(separatedBy: "HTTP/1.1 ").dropFirst().compactMap { Int($0.prefix(3)) }
}

/// `lituv_tls_handshake_failures_total` from `/metrics`, fetched over HTTPS on `port`.
func tlsHandshakeFailures(port: Int, sourceLocation: SourceLocation = #_sourceLocation) throws -> Int {
    let result = try curl(["https://127.0.0.1:\(port)/metrics"])
    let line = result.stdout.split(separator: "\n").first { $0.hasPrefix("lituv_tls_handshake_failures_total ") }
    guard let line, let value = Int(line.split(separator: " ").last ?? "") else {
        Issue.record("no lituv_tls_handshake_failures_total in /metrics: \(result)", sourceLocation: sourceLocation)
        return -1
    }
    return value
}

/// Polls `/metrics` until the handshake-failure counter reaches `value` (the close and the count are not ordered
/// for the client), and returns the last value read.
func waitForHandshakeFailures(port: Int, atLeast value: Int, timeout: Double = 3) throws -> Int {
    let deadline = Date().addingTimeInterval(timeout)
    var current = try tlsHandshakeFailures(port: port)
    while current < value && Date() < deadline {
        usleep(10_000)
        current = try tlsHandshakeFailures(port: port)
    }
    return current
}

// MARK: - Servers

/// A test configuration serving HTTPS with `tls` (default: the test leaf from files).
func tlsTestConfiguration(
    _ tls: TLSConfiguration? = nil,
    headerTimeout: Duration = .seconds(10),
    keepAliveTimeout: Duration = .seconds(60)
) throws -> LitServer.Configuration {
    var configuration = testConfiguration(headerTimeout: headerTimeout, keepAliveTimeout: keepAliveTimeout)
    configuration.tls = try tls ?? TLSFixtures.shared().files
    return configuration
}

/// Like ``withRunningServer(_:waitForReady:_:)`` for ``LitServer/start(listeners:)``: starts every listener, waits
/// for readiness, runs `body`, shuts down and checks that every loop closed cleanly.
func withRunningListeners<R>(
    _ server: LitServer,
    _ listeners: [LitServer.Listener],
    _ body: (RunningServer) throws -> R
) throws -> R {
    try withStartedServer(server, start: { try server.start(listeners: listeners) }, body)
}

/// The error `start` threw for `tls`, or nil when the server started (it is stopped again at once).
func startupError(_ tls: TLSConfiguration) throws -> LitServerError? {
    let server = try LitServer(SquareAPI(), configuration: tlsTestConfiguration(tls))
    do {
        let running = try server.start(host: "127.0.0.1", port: 0)
        try running.stop()
        return nil
    } catch {
        return error
    }
}
