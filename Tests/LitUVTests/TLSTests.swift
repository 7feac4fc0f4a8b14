import Foundation
import Testing

@testable import LitUV

#if canImport(Glibc)
import Glibc
#endif

/// HTTPS end to end: real `curl` and `openssl s_client` processes against a server on 127.0.0.1 port 0, with
/// certificates made at test time (see TLSTestSupport.swift). Serialized: several tests measure timeouts, and one
/// runs 64 clients at once.
@Suite("TLS", .serialized)
struct TLSTests {
    // MARK: End to end

    @Test func predictOverTLSWithCurlAnswers16() throws {
        let server = try LitServer(SquareAPI(), configuration: tlsTestConfiguration())
        try withRunningServer(server) { running in
            let result = try curl([
                "-w", "\n%{http_code} %{http_version} %{ssl_verify_result}", "-d", #"{"input":4.0}"#,
                "https://127.0.0.1:\(running.port)/predict",
            ])
            #expect(result.status == 0, "\(result)")
            let lines = result.stdout.split(separator: "\n")
            #expect(lines.count == 2, "\(result)")
            #expect(outputNumber(in: String(lines.first ?? "")) == 16.0, "\(result)")
            #expect(lines.last == "200 1.1 0", "status, HTTP version, certificate verification: \(result)")
        }
    }

    @Test func predictOverTLSWithOpenSSLClientAnswers200() throws {
        let server = try LitServer(SquareAPI(), configuration: tlsTestConfiguration())
        try withRunningServer(server) { running in
            let request = predictRequest(4.0, headers: ["Connection: close"])
            let result = try sClient(port: running.port, ["-quiet"], input: request)
            #expect(result.status == 0, "\(result)")
            #expect(statusCodes(in: result.stdout) == [200], "\(result)")
            #expect(outputNumbers(in: result.stdout) == [16.0], "\(result)")
        }
    }

    // MARK: ALPN

    @Test func alpnSelectsHTTP11WhenTheClientOffersIt() throws {
        let server = try LitServer(SquareAPI(), configuration: tlsTestConfiguration())
        try withRunningServer(server) { running in
            let result = try sClient(port: running.port, ["-alpn", "h2,http/1.1"])
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout.contains("ALPN protocol: http/1.1"), "\(result)")
            #expect(result.stdout.contains("Verify return code: 0 (ok)"), "\(result)")
        }
    }

    @Test func clientOfferingOnlyH2ConnectsWithoutALPN() throws {
        let server = try LitServer(SquareAPI(), configuration: tlsTestConfiguration())
        try withRunningServer(server) { running in
            let result = try sClient(
                port: running.port,
                ["-alpn", "h2", "-ign_eof"],
                input: TestClient.format("GET", "/health", headers: ["Connection: close"])
            )
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout.contains("No ALPN negotiated"), "\(result)")
            #expect(statusCodes(in: result.stdout) == [200], "HTTP/1.1 is still spoken: \(result)")
        }
    }

    // MARK: Protocol versions

    @Test(arguments: ["-tls1", "-tls1_1"])
    func protocolVersionsBelowTLS12AreRefusedByTheServer(_ option: String) throws {
        let server = try LitServer(SquareAPI(), configuration: tlsTestConfiguration())
        try withRunningServer(server) { running in
            let before = try tlsHandshakeFailures(port: running.port)
            // SECLEVEL=0 lets Debian's OpenSSL offer TLS 1.0/1.1 at all, so the refusal is the server's.
            let result = try sClient(port: running.port, [option, "-cipher", "DEFAULT:@SECLEVEL=0"])
            #expect(result.status != 0, "\(result)")
            #expect(result.output.contains("alert protocol version"), "the server's alert: \(result)")
            #expect(!result.output.contains("no protocols available"), "refused by the client, not the server")
            #expect(try waitForHandshakeFailures(port: running.port, atLeast: before + 1) >= before + 1)
            let after = try curlPredict(port: running.port, input: 3)
            #expect(outputNumber(in: after.stdout) == 9.0, "\(after)")
        }
    }

    @Test(arguments: [("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")])
    func tls12And13AreAccepted(_ option: String, _ version: String) throws {
        let server = try LitServer(SquareAPI(), configuration: tlsTestConfiguration())
        try withRunningServer(server) { running in
            let result = try sClient(
                port: running.port,
                [option, "-ign_eof"],
                input: TestClient.format("GET", "/health", headers: ["Connection: close"])
            )
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout.contains("New, \(version), Cipher is "), "\(result)")
            #expect(statusCodes(in: result.stdout) == [200], "\(result)")
        }
    }

    @Test func tls12CipherSuitesAreForwardSecretAEADs() throws {
        let server = try LitServer(SquareAPI(), configuration: tlsTestConfiguration())
        try withRunningServer(server) { running in
            // A client offering only static-RSA or CBC suites gets nothing.
            for cipher in ["AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA384"] {
                let refused = try sClient(port: running.port, ["-tls1_2", "-cipher", cipher])
                #expect(refused.status != 0, "\(cipher) must be refused: \(refused)")
            }
            let accepted = try sClient(port: running.port, ["-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305"])
            #expect(accepted.stdout.contains("Cipher is ECDHE-ECDSA-CHACHA20-POLY1305"), "\(accepted)")
        }
    }

    @Test func serverCipherOrderDecidesUnlessTheClientPrefersChaCha20() throws {
        let server = try LitServer(SquareAPI(), configuration: tlsTestConfiguration())
        try withRunningServer(server) { running in
            func negotiated(_ ciphers: String) throws -> String {
                let result = try sClient(port: running.port, ["-tls1_2", "-cipher", ciphers])
                let line = result.stdout.split(separator: "\n").first { $0.hasPrefix("New, TLSv1.2, Cipher is ") }
                return line.map { String($0.dropFirst("New, TLSv1.2, Cipher is ".count)) } ?? "none: \(result)"
            }
            // The client lists AES-256 first; the server's order puts AES-128 first.
            let aes = try negotiated("ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256")
            #expect(aes == "ECDHE-ECDSA-AES128-GCM-SHA256")
            // A client that lists ChaCha20 first (no AES hardware) gets it.
            let chacha = try negotiated("ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256")
            #expect(chacha == "ECDHE-ECDSA-CHACHA20-POLY1305")
        }
    }

    @Test func minimumVersionTLS13RefusesTLS12() throws {
        var tls = try TLSFixtures.shared().files
        tls.minimumVersion = .tls13
        let server = try LitServer(SquareAPI(), configuration: tlsTestConfiguration(tls))
        try withRunningServer(server) { running in
            let refused = try sClient(port: running.port, ["-tls1_2"])
            #expect(refused.status != 0, "\(refused)")
            let accepted = try sClient(port: running.port, ["-tls1_3"])
            #expect(accepted.stdout.contains("New, TLSv1.3"), "\(accepted)")
        }
    }

    // MARK: Startup errors

    @Test(arguments: [false, true])
    func keyThatDoesNotMatchTheCertificateIsAStartupError(rsa: Bool) throws {
        let fixtures = try TLSFixtures.shared()
        let key = rsa ? fixtures.otherRSAKey : fixtures.otherKey
        let error = try #require(try startupError(.files(certificate: fixtures.certificate, key: key)))
        #expect(error.code == .tlsConfiguration, "\(error)")
        #expect(error.message.contains(key), "the message names the key file: \(error)")
        let tlsError = try #require(error.underlying as? TLSError, "\(error)")
        #expect(!tlsError.reasons.isEmpty, "OpenSSL's reasons: \(error)")
        for reason in tlsError.reasons {
            #expect(error.message.contains(reason), "\(error)")
        }
        // The key was read; it is the pairing that fails (EC: when the key is set; RSA: in the final check).
        #expect(!error.message.contains("loading the private key"), "\(error)")
        #expect(
            error.message.contains(rsa ? "does not match the certificate" : "key values mismatch"),
            "\(error)"
        )
    }

    @Test func missingCertificateOrKeyFileIsAStartupErrorNamingIt() throws {
        let fixtures = try TLSFixtures.shared()
        let missing = fixtures.directory + "/no-such-file.pem"
        let cases: [TLSConfiguration] = [
            .files(certificate: missing, key: fixtures.key),
            .files(certificate: fixtures.certificate, key: missing),
        ]
        for tls in cases {
            let error = try #require(try startupError(tls))
            #expect(error.code == .tlsConfiguration, "\(error)")
            #expect(error.message.contains(missing), "\(error)")
            #expect(error.message.contains("No such file or directory"), "\(error)")
        }
    }

    @Test func pemWithoutACertificateIsAStartupError() throws {
        let fixtures = try TLSFixtures.shared()
        let key = try Array(Data(contentsOf: URL(fileURLWithPath: fixtures.key)))
        let error = try #require(
            try startupError(TLSConfiguration(certificateChain: .pem(Array("not PEM".utf8)), privateKey: .pem(key)))
        )
        #expect(error.code == .tlsConfiguration, "\(error)")
        #expect(error.message.contains("certificate"), "\(error)")
    }

    @Test func encryptedKeyWithTheRightPasswordServes() throws {
        let fixtures = try TLSFixtures.shared()
        let tls = TLSConfiguration.files(
            certificate: fixtures.certificate,
            key: fixtures.encryptedKey,
            password: fixtures.keyPassword
        )
        let server = try LitServer(SquareAPI(), configuration: tlsTestConfiguration(tls))
        try withRunningServer(server) { running in
            let result = try curlPredict(port: running.port, input: 5)
            #expect(outputNumber(in: result.stdout) == 25.0, "\(result)")
        }
    }

    @Test(arguments: ["wrong password", nil])
    func encryptedKeyWithAWrongOrNoPasswordIsAStartupError(password: String?) throws {
        let fixtures = try TLSFixtures.shared()
        let tls = TLSConfiguration.files(
            certificate: fixtures.certificate,
            key: fixtures.encryptedKey,
            password: password
        )
        let error = try #require(try startupError(tls))
        #expect(error.code == .tlsConfiguration, "\(error)")
        #expect(error.message.contains(fixtures.encryptedKey), "\(error)")
        let tlsError = try #require(error.underlying as? TLSError, "\(error)")
        #expect(!tlsError.reasons.isEmpty, "OpenSSL's reasons: \(error)")
    }

    // MARK: Keys, PEM sources and chains

    @Test func rsaCertificateAndKeyServe() throws {
        let fixtures = try TLSFixtures.shared()
        let tls = TLSConfiguration.files(certificate: fixtures.rsaCertificate, key: fixtures.rsaKey)
        let server = try LitServer(SquareAPI(), configuration: tlsTestConfiguration(tls))
        try withRunningServer(server) { running in
            let handshake = try sClient(port: running.port, ["-tls1_2"])
            #expect(handshake.stdout.contains("Cipher is ECDHE-RSA-AES128-GCM-SHA256"), "\(handshake)")
            #expect(handshake.stdout.contains("Server public key is 2048 bit"), "\(handshake)")
            let result = try curlPredict(port: running.port, input: 9)
            #expect(outputNumber(in: result.stdout) == 81.0, "\(result)")
        }
    }

    @Test func pemBytesInMemoryServeLikeFiles() throws {
        let fixtures = try TLSFixtures.shared()
        let certificate = try Array(Data(contentsOf: URL(fileURLWithPath: fixtures.certificate)))
        let key = try Array(Data(contentsOf: URL(fileURLWithPath: fixtures.key)))
        let tls = TLSConfiguration(certificateChain: .pem(certificate), privateKey: .pem(key))
        let server = try LitServer(SquareAPI(), configuration: tlsTestConfiguration(tls))
        try withRunningServer(server) { running in
            let result = try curlPredict(port: running.port, input: 4)
            #expect(outputNumber(in: result.stdout) == 16.0, "\(result)")
        }
    }

    @Test func intermediateCertificateIsServedWithTheLeaf() throws {
        let fixtures = try TLSFixtures.shared()
        let tls = TLSConfiguration.files(certificate: fixtures.chainCertificate, key: fixtures.chainKey)
        let server = try LitServer(SquareAPI(), configuration: tlsTestConfiguration(tls))
        try withRunningServer(server) { running in
            let result = try sClient(port: running.port, caFile: fixtures.chainRoot, ["-showcerts"])
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout.components(separatedBy: "-----BEGIN CERTIFICATE-----").count - 1 == 2, "\(result)")
            #expect(result.stdout.contains("Verify return code: 0 (ok)"), "\(result)")
            // curl trusting only the root can verify the leaf: the intermediate came from the server.
            let predict = try curlPredict(port: running.port, input: 6, caFile: fixtures.chainRoot)
            #expect(outputNumber(in: predict.stdout) == 36.0, "\(predict)")
        }
    }

    // MARK: Bad clients

    @Test func garbageOnTheTLSPortClosesThatConnectionOnly() throws {
        let server = try LitServer(SquareAPI(), configuration: tlsTestConfiguration())
        try withRunningServer(server) { running in
            let before = try tlsHandshakeFailures(port: running.port)
            let garbage = try TestClient(port: running.port)
            try garbage.send((0..<256).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) })
            expectClosed(garbage)
            #expect(try waitForHandshakeFailures(port: running.port, atLeast: before + 1) == before + 1)
            let result = try curlPredict(port: running.port, input: 7)
            #expect(outputNumber(in: result.stdout) == 49.0, "another client is served: \(result)")
        }
    }

    @Test func plainHTTPOnTheTLSPortClosesThatConnectionOnly() throws {
        let server = try LitServer(SquareAPI(), configuration: tlsTestConfiguration())
        try withRunningServer(server) { running in
            let before = try tlsHandshakeFailures(port: running.port)
            let plain = try TestClient(port: running.port)
            try plain.send(predictRequest(4.0))
            expectClosed(plain)
            #expect(try waitForHandshakeFailures(port: running.port, atLeast: before + 1) == before + 1)
            let result = try curlPredict(port: running.port, input: 8)
            #expect(outputNumber(in: result.stdout) == 64.0, "another client is served: \(result)")
        }
    }

    @Test func stalledHalfClientHelloIsClosedAfterTheHandshakeTimeout() throws {
        var tls = try TLSFixtures.shared().files
        tls.handshakeTimeout = .milliseconds(300)
        let server = try LitServer(SquareAPI(), configuration: tlsTestConfiguration(tls))
        try withRunningServer(server) { running in
            let before = try tlsHandshakeFailures(port: running.port)
            let stalled = try TestClient(port: running.port)
            let start = ContinuousClock.now
            // A handshake record announcing a 512-byte ClientHello, of which only the first bytes arrive.
            try stalled.send(
                [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03] + Array(repeating: 7, count: 16)
            )
            // Meanwhile a complete client is served.
            let other = try curlPredict(port: running.port, input: 2)
            #expect(outputNumber(in: other.stdout) == 4.0, "\(other)")
            expectClosed(stalled, within: 5)
            let elapsed = secondsSince(start)
            #expect(elapsed >= 0.25, "closed too early: \(elapsed) s")
            #expect(elapsed < 3, "closed too late: \(elapsed) s")
            #expect(try waitForHandshakeFailures(port: running.port, atLeast: before + 1) == before + 1)
        }
    }

    // MARK: Resumption

    @Test(arguments: ["-tls1_2", "-tls1_3"])
    func sessionsAreResumed(_ option: String) throws {
        let server = try LitServer(SquareAPI(), configuration: tlsTestConfiguration())
        try withRunningServer(server) { running in
            let session = try TLSFixtures.shared().directory + "/session\(option)-\(running.port).pem"
            defer { try? FileManager.default.removeItem(atPath: session) }
            // -ign_eof and a request: the client stays until the server closes, so a TLS 1.3 ticket arrives.
            let request = TestClient.format("GET", "/health", headers: ["Connection: close"])
            let first = try sClient(port: running.port, [option, "-ign_eof", "-sess_out", session], input: request)
            #expect(first.stdout.contains("\nNew, "), "\(first)")
            #expect(FileManager.default.fileExists(atPath: session), "\(first)")
            let second = try sClient(port: running.port, [option, "-ign_eof", "-sess_in", session], input: request)
            #expect(second.stdout.contains("\nReused, "), "\(second)")
            #expect(statusCodes(in: second.stdout) == [200], "\(second)")
        }
    }

    // MARK: Plain and TLS listeners

    @Test func plainAndTLSListenersServeAtOnce() throws {
        let tls = try TLSFixtures.shared().files
        let server = try LitServer(SquareAPI(), configuration: testConfiguration())
        let listeners = [LitServer.Listener(port: 0), LitServer.Listener(port: 0, tls: tls)]
        try withRunningListeners(server, listeners) { running in
            #expect(running.ports.count == 2)
            #expect(running.port == running.ports[0])
            let (plainPort, tlsPort) = (running.ports[0], running.ports[1])
            #expect(plainPort != tlsPort)
            let health = try TestClient(port: plainPort).request("GET", "/health")
            #expect(health.status == 200)
            #expect(health.bodyText == "ok")
            let predict = try curlPredict(port: tlsPort, input: 4)
            #expect(outputNumber(in: predict.stdout) == 16.0, "\(predict)")
            // Each port speaks only its own protocol.
            let tlsOnPlain = try curl(["https://127.0.0.1:\(plainPort)/health"])
            #expect(tlsOnPlain.status != 0, "\(tlsOnPlain)")
            let plainOnTLS = try runTool(["curl", "-sS", "--max-time", "5", "http://127.0.0.1:\(tlsPort)/health"])
            #expect(plainOnTLS.status != 0, "\(plainOnTLS)")
        }
    }

    // MARK: Load

    @Test func sixtyFourConnectionsOfFiftyRequestsEachAreAllCorrect() throws {
        let connections = 64
        let requestsPerConnection = 50
        let fixtures = try TLSFixtures.shared()
        let server = try LitServer(SquareAPI(), maxBatchSize: 8, configuration: tlsTestConfiguration())
        try withRunningServer(server) { running in
            // One curl process per connection; a config file lists its 50 requests (separated by `next`, which
            // keeps the connection), each with its own input and a write-out of status and new connections.
            var clients: [(tool: RunningTool, first: Int)] = []
            for connection in 0..<connections {
                let first = connection * requestsPerConnection
                var config = ""
                for index in first..<(first + requestsPerConnection) {
                    if index > first { config += "next\n" }
                    config += """
                        url = "https://127.0.0.1:\(running.port)/predict"
                        cacert = "\(fixtures.caCertificate)"
                        header = "Content-Type: application/json"
                        data = "{\\"input\\":\(index)}"
                        write-out = " %{http_code} %{num_connects}\\n"
                        max-time = 30
                        silent
                        show-error

                        """
                }
                let path = fixtures.directory + "/load-\(running.port)-\(connection).curlrc"
                try config.write(toFile: path, atomically: true, encoding: .utf8)
                clients.append((try RunningTool(["curl", "--config", path], stdinOpen: false), first))
            }
            var correct = 0
            var failures: [String] = []
            for (tool, first) in clients {
                let result = tool.wait(timeout: 50)
                let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: true)
                var newConnections = 0
                for (offset, line) in lines.enumerated() {
                    let parts = line.split(separator: " ")
                    let input = Double(first + offset)
                    if parts.count == 3, parts[1] == "200", outputNumber(in: String(parts[0])) == input * input {
                        correct += 1
                    } else if failures.count < 5 {
                        failures.append("request \(first + offset): \(line)")
                    }
                    newConnections += Int(parts.last ?? "") ?? 0
                }
                if result.status != 0 || lines.count != requestsPerConnection, failures.count < 5 {
                    failures.append("client \(first / requestsPerConnection): \(result)")
                }
                #expect(newConnections == 1, "client \(first / requestsPerConnection) used one connection")
            }
            #expect(correct == connections * requestsPerConnection, "\(failures.joined(separator: "\n"))")
            #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        }
    }

    // MARK: HTTP behaviour over TLS

    @Test func largeBodiesCrossManyTLSRecordsBothWays() throws {
        // 256 KiB in and 512 KiB out: many 16 KiB records, partial reads and writes on both sides.
        let server = try LitServer(DoublingAPI(), configuration: tlsTestConfiguration())
        try withRunningServer(server) { running in
            let input = String((0..<(256 * 1024)).map { index in Character(UnicodeScalar(UInt8(97 + index % 26))) })
            let path = try TLSFixtures.shared().directory + "/large-\(running.port).json"
            try #"{"input":"\#(input)"}"#.write(toFile: path, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let result = try curl([
                "-H", "Content-Type: application/json", "--data-binary", "@\(path)",
                "https://127.0.0.1:\(running.port)/predict",
            ])
            #expect(result.status == 0, "\(result.stderr)")
            let object = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            let output = object?["output"] as? String
            #expect(output?.count == 2 * input.count, "\(result.stdout.prefix(200))")
            #expect(output == input + input)
        }
    }

    @Test func keepAliveReusesOneTLSConnection() throws {
        let server = try LitServer(SquareAPI(), configuration: tlsTestConfiguration())
        try withRunningServer(server) { running in
            let url = "https://127.0.0.1:\(running.port)/health"
            let result = try curl(["-w", " %{http_code} %{num_connects}\n", url, url, url])
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout == "ok 200 1\nok 200 0\nok 200 0\n", "one connection for three requests: \(result)")
        }
    }

    @Test func pipelinedRequestsOverTLSAreAnsweredInOrder() throws {
        // Request i sleeps (10 - i) × 20 ms on one of 3 workers, so later requests finish first.
        let server = try LitServer(
            PerRequestSquareAPI.reverseDelay,
            workersPerDevice: 3,
            configuration: tlsTestConfiguration()
        )
        try withRunningServer(server) { running in
            // s_client sends what it reads from stdin at once: three requests in one TLS record.
            let requests = predictRequest(1) + predictRequest(2) + predictRequest(3, headers: ["Connection: close"])
            let result = try sClient(port: running.port, ["-quiet"], input: requests)
            #expect(result.status == 0, "\(result)")
            #expect(statusCodes(in: result.stdout) == [200, 200, 200], "\(result)")
            #expect(outputNumbers(in: result.stdout) == [1, 4, 9], "\(result)")
        }
    }

    @Test func stalledRequestHeadOverTLSIsClosedAfterTheHeaderTimeout() throws {
        let server = try LitServer(
            SquareAPI(),
            configuration: tlsTestConfiguration(headerTimeout: .milliseconds(300))
        )
        try withRunningServer(server) { running in
            let slow = try RunningTool(sClientArguments(port: running.port, ["-quiet"]))
            let start = ContinuousClock.now
            slow.write("POST /predict HTTP/1.1\r\nHost: localhost\r\nContent-")
            let other = try curlPredict(port: running.port, input: 4)
            #expect(outputNumber(in: other.stdout) == 16.0, "another client is served: \(other)")
            let result = slow.wait(timeout: 5)
            let elapsed = secondsSince(start)
            #expect(!result.timedOut, "the stalled connection should be closed: \(result)")
            #expect(elapsed >= 0.25, "closed too early: \(elapsed) s")
            #expect(elapsed < 3, "closed too late: \(elapsed) s")
        }
    }

    @Test func gracefulShutdownSendsCloseNotify() throws {
        let server = try LitServer(SquareAPI(), configuration: tlsTestConfiguration())
        try withRunningServer(server) { running in
            // An idle keep-alive connection after one answer.
            let idle = try RunningTool(sClientArguments(port: running.port))
            idle.write(TestClient.format("GET", "/health"))
            #expect(idle.waitForOutput(containing: "\r\n\r\nok"), "\(idle.currentOutput)")
            running.shutdown()
            let result = idle.wait(timeout: 10)
            #expect(!result.timedOut, "\(result)")
            // s_client prints "closed" for close_notify (SSL_ERROR_ZERO_RETURN); a bare TCP close is an error
            // ("unexpected eof while reading").
            let sawCloseNotify = result.stdout.split(separator: "\n").contains("closed")
            #expect(sawCloseNotify, "s_client's last words: \(result.output.suffix(400))")
            #expect(!result.output.contains("unexpected eof"), "\(result.output.suffix(400))")
        }
    }
}
