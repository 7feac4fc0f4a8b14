import Dispatch
import ExampleModels
import Foundation
import Testing

@_spi(Benchmarks) @testable import LitUV

#if canImport(Glibc)
import Glibc
#endif

// The image-stats and tone example models served for real: uploads with `curl -F` (PNG, PPM), the WAV downloaded
// whole and streamed (headers, sizes, bytes), streamed pieces reaching the client before the model has finished,
// batches of uploads, and every refusal answered with a clear status while the server keeps serving.

/// A scratch directory for one test's files, removed at the end.
private func withScratchDirectory<R>(_ body: (String) throws -> R) throws -> R {
    let path = NSTemporaryDirectory() + "lituv-media-\(getpid())-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}

private func write(_ bytes: [UInt8], to path: String) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// Runs curl on 127.0.0.1:`port` with `--write-out` the status code last on standard output.
private func curlStatus(
    _ arguments: [String],
    port: Int,
    path: String = "/predict"
) throws -> (status: Int, body: String) {
    let result = try runTool(
        ["curl", "-sS", "--max-time", "20", "-w", "\n%{http_code}"] + arguments + ["http://127.0.0.1:\(port)\(path)"],
        timeout: 30
    )
    let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
    let status = lines.last.flatMap { Int($0) } ?? -1
    return (status, lines.dropLast().joined(separator: "\n"))
}

/// The JSON the server answers for an image, computed here.
private func expectedStatistics(_ file: [UInt8]) throws -> String {
    String(decoding: try LitJSON.encode(ImageStatistics(of: try ImageDecoder.decode(file))), as: UTF8.self)
}

private func imageStatsServer(limits: ImageLimits = ImageLimits(), maxBatchSize: Int = 1) throws -> LitServer {
    try LitServer(
        endpoints: MediaEndpoints.imageStats(
            limits: limits,
            maxBatchSize: maxBatchSize,
            batchTimeout: .milliseconds(maxBatchSize > 1 ? 200 : 0)
        ),
        configuration: testConfiguration()
    )
}

private func sampleFiles() -> [(name: String, bytes: [UInt8])] {
    let rgb = (0..<(7 * 5 * 3)).map { ($0 * 29 + 3) % 256 }
    let rgba = (0..<(4 * 4 * 4)).map { ($0 * 61 + 7) % 256 }
    let gray16 = (0..<(6 * 3)).map { $0 * 3000 }
    let indices = (0..<(9 * 2)).map { $0 % 3 }
    return [
        ("rgb.png", TestPNGEncoder(colorType: 2, bitDepth: 8, width: 7, height: 5, samples: rgb).encode()),
        (
            "rgba-interlaced.png",
            TestPNGEncoder(colorType: 6, bitDepth: 8, width: 4, height: 4, samples: rgba, interlaced: true).encode()
        ),
        ("gray16.png", TestPNGEncoder(colorType: 0, bitDepth: 16, width: 6, height: 3, samples: gray16).encode()),
        (
            "palette.png",
            TestPNGEncoder(
                colorType: 3,
                bitDepth: 2,
                width: 9,
                height: 2,
                samples: indices,
                palette: [(255, 0, 0), (0, 128, 0), (1, 2, 3)]
            ).encode()
        ),
        ("image.ppm", Array("P6\n# curl upload\n7 5\n255\n".utf8) + rgb.map(UInt8.init)),
        ("plain.ppm", Array("P3 2 1 15\n15 0 7\n1 2 3\n".utf8)),
        ("image.pgm", Array("P5 3 2 65535\n".utf8) + [0, 0, 0xFF, 0xFF, 0x80, 0x00, 0x12, 0x12, 0, 1, 2, 3]),
    ]
}

@Suite("Media example models end to end")
struct MediaModelsEndToEndTests {
    @Test func imageStatsAnswersCurlUploadsOfPNGAndNetpbm() throws {
        try withScratchDirectory { directory in
            try withRunningServer(try imageStatsServer()) { running in
                for (name, bytes) in sampleFiles() {
                    let path = directory + "/" + name
                    try write(bytes, to: path)
                    let answer = try curlStatus(["-F", "file=@\(path)"], port: running.port)
                    #expect(answer.status == 200, "\(name): \(answer.body)")
                    #expect(answer.body == (try expectedStatistics(bytes)), "\(name)")
                }
                // The fields the scripts rely on.
                let answer = try curlStatus(["-F", "file=@\(directory)/rgb.png", "-F", "note=x"], port: running.port)
                let object = try #require(
                    try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any]
                )
                #expect(object["width"] as? Int == 7)
                #expect(object["height"] as? Int == 5)
                #expect((object["mean"] as? [Double])?.count == 3)
                #expect((object["histogram"] as? [[Int]])?.map { $0.reduce(0, +) } == [35, 35, 35])
            }
        }
    }

    @Test func badUploadsAreRefusedClearlyAndTheServerKeepsServing() throws {
        try withScratchDirectory { directory in
            let good = TestPNGEncoder(colorType: 0, bitDepth: 8, width: 3, height: 3, samples: Array(0..<9)).encode()
            var corrupt = good
            corrupt[8 + 25 + 8] ^= 0xFF
            var bomb: [UInt8] = PNGDecoder.signature
            var header: [UInt8] = []
            TestPNGEncoder.appendBigEndian(30000, to: &header)
            TestPNGEncoder.appendBigEndian(30000, to: &header)
            header += [8, 6, 0, 0, 0]
            TestPNGEncoder.appendChunk("IHDR", header, to: &bomb)
            TestPNGEncoder.appendChunk("IDAT", TestPNGEncoder.compress([0]), to: &bomb)
            TestPNGEncoder.appendChunk("IEND", [], to: &bomb)
            let files: [(String, [UInt8])] = [
                ("good.png", good), ("corrupt.png", corrupt), ("bomb.png", bomb), ("cut.png", Array(good.prefix(40))),
                ("image.gif", Array("GIF89a".utf8) + [1, 0, 1, 0]), ("short.ppm", Array("P6 2 2 255\n".utf8) + [1, 2]),
            ]
            for (name, bytes) in files { try write(bytes, to: directory + "/" + name) }
            try withRunningServer(try imageStatsServer(limits: ImageLimits(maxPixels: 1_000_000))) { running in
                let cases: [([String], Int, String)] = [
                    (["-F", "file=@\(directory)/corrupt.png"], 400, "PNG: "),
                    (["-F", "file=@\(directory)/cut.png"], 400, "PNG: "),
                    (["-F", "file=@\(directory)/bomb.png"], 413, "30000×30000"),
                    (["-F", "file=@\(directory)/image.gif"], 415, "not a PNG or Netpbm"),
                    (["-F", "file=@\(directory)/short.ppm"], 400, "PPM: the raster has 2 bytes"),
                    (["-F", "image=@\(directory)/good.png"], 400, #"form field \"file\""#),
                    (["-H", "Content-Type: application/json", "-d", "{}"], 415, "multipart/form-data"),
                ]
                for (arguments, status, fragment) in cases {
                    let answer = try curlStatus(arguments, port: running.port)
                    #expect(answer.status == status, "\(arguments): \(answer.body)")
                    #expect(answer.body.contains(fragment), "\(arguments): \(answer.body)")
                    #expect(answer.body.hasPrefix(#"{"detail":"#), "\(arguments): \(answer.body)")
                }
                let after = try curlStatus(["-F", "file=@\(directory)/good.png"], port: running.port)
                #expect(after.status == 200)
                #expect(after.body == (try expectedStatistics(good)))
            }
        }
    }

    @Test func uploadsAreBatched() throws {
        let recorder = BatchSizes()
        let server = try LitServer(
            endpoints: [
                LitEndpoint(
                    RecordingImageStatsAPI(recorder: recorder),
                    maxBatchSize: 4,
                    batchTimeout: .seconds(2)
                )
            ],
            configuration: testConfiguration()
        )
        try withScratchDirectory { directory in
            let files = sampleFiles().prefix(4)
            for (name, bytes) in files { try write(bytes, to: directory + "/" + name) }
            try withRunningServer(server) { running in
                // Four uploads at once: the batch closes when the fourth arrives (the window is far longer).
                let tools = try files.map { name, _ in
                    try RunningTool(
                        [
                            "curl", "-sS", "--max-time", "20", "-F", "file=@\(directory)/\(name)",
                            "http://127.0.0.1:\(running.port)/predict",
                        ],
                        stdinOpen: false
                    )
                }
                for (tool, file) in zip(tools, files) {
                    let result = tool.wait(timeout: 30)
                    #expect(result.stdout == (try expectedStatistics(file.bytes)), "\(file.name)")
                }
            }
        }
        #expect(recorder.sizes.reduce(0, +) == 4)
        #expect(recorder.sizes.contains { $0 > 1 }, "batch sizes \(recorder.sizes)")
    }

    @Test func toneAnswersAWholeWAVOrAStreamedOne() throws {
        let server = try LitServer(
            endpoints: MediaEndpoints.tone(samplesPerChunk: 1000),
            configuration: testConfiguration()
        )
        let tone = try Tone(frequency: 440, duration: 0.5)
        let request = #"{"frequency": 440, "duration": 0.5}"#
        try withRunningServer(server) { running in
            let whole = try TestClient(port: running.port).request("POST", "/predict", body: request)
            #expect(whole.status == 200)
            #expect(whole.header("Content-Type") == "audio/wav")
            #expect(whole.header("Content-Length") == "\(tone.wavByteCount)")
            #expect(whole.header("Transfer-Encoding") == nil)
            #expect(whole.body == tone.wav())

            let bodies = [
                ("/predict/stream", request), ("/predict", #"{"frequency": 440, "duration": 0.5, "stream": true}"#),
            ]
            for (path, body) in bodies {
                let streamed = try TestClient(port: running.port).request("POST", path, body: body)
                #expect(streamed.status == 200, "\(path)")
                #expect(streamed.header("Content-Type") == "audio/wav")
                #expect(streamed.header("Transfer-Encoding")?.lowercased() == "chunked")
                #expect(streamed.header("Content-Length") == nil)
                #expect(streamed.body == tone.wav(), "\(path)")
            }
            let unstreamed = try TestClient(port: running.port).request(
                "POST",
                "/predict/stream",
                body: #"{"frequency": 440, "duration": 0.5, "stream": false}"#
            )
            #expect(unstreamed.header("Content-Length") == "\(tone.wavByteCount)")
            #expect(unstreamed.body == tone.wav())
        }
    }

    @Test func curlDownloadsAPlayableWAV() throws {
        let server = try LitServer(endpoints: MediaEndpoints.tone(), configuration: testConfiguration())
        try withScratchDirectory { directory in
            try withRunningServer(server) { running in
                for path in ["/predict", "/predict/stream"] {
                    let file = directory + "/tone.wav"
                    let answer = try curlStatus(
                        ["-D", directory + "/head.txt", "-o", file, "-d", #"{"frequency": 1000, "duration": 2}"#],
                        port: running.port,
                        path: path
                    )
                    #expect(answer.status == 200)
                    let head = try String(contentsOfFile: directory + "/head.txt", encoding: .utf8).lowercased()
                    #expect(head.contains("content-type: audio/wav"))
                    let wav = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
                    #expect(wav.count == 44 + 2 * 44_100)
                    #expect(Array(wav[0..<4]) == Array("RIFF".utf8) && Array(wav[8..<12]) == Array("WAVE".utf8))
                    #expect(wav == (try Tone(frequency: 1000, duration: 2).wav()), "\(path)")
                }
            }
        }
    }

    @Test func streamedPiecesArriveBeforeTheModelHasFinished() throws {
        let gate = DispatchSemaphore(value: 0)
        let server = try LitServer(
            endpoints: [
                LitEndpoint(
                    streaming: GatedToneAPI(gate: gate),
                    codec: ToneCodec<GatedToneAPI>(streamsByDefault: true),
                    path: "/predict/stream"
                )
            ],
            configuration: testConfiguration()
        )
        let tone = try Tone(frequency: 300, duration: 1)
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            try client.send(
                TestClient.format("POST", "/predict/stream", body: #"{"frequency": 300, "duration": 1}"#)
            )
            // The model is held after its first piece (the WAV header): the head and that piece arrive meanwhile.
            let early = try receive(from: client) { bytes in
                guard let end = bytes.firstRange(of: Array("\r\n\r\n".utf8))?.upperBound else { return false }
                return bytes.count >= end + 4 + WAVWriter.headerSize
            }
            let text = String(decoding: early, as: UTF8.self)
            #expect(text.hasPrefix("HTTP/1.1 200"))
            #expect(text.lowercased().contains("content-type: audio/wav"))
            #expect(text.lowercased().contains("transfer-encoding: chunked"))
            let header = WAVWriter.header(sampleRate: Tone.sampleRate, sampleCount: tone.sampleCount)
            #expect(early.firstRange(of: Array("2c\r\n".utf8) + header) != nil, "the header as the first chunk")
            gate.signal()
            let rest = try client.readUntilCompleteChunkedBody(after: early)
            #expect(rest == tone.wav())
        }
    }

    @Test func badToneRequestsAreRefusedBeforeAnyByte() throws {
        let server = try LitServer(endpoints: MediaEndpoints.tone(), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let cases: [(String, String, Int, String)] = [
                ("/predict", #"{"frequency": 20000, "duration": 1}"#, 422, "frequency must be above 0 and below 11025"),
                ("/predict/stream", #"{"frequency": 440, "duration": 31}"#, 422, "duration must be above 0"),
                ("/predict", #"{"frequency": 440, "duration": 1, "amplitude": 2}"#, 422, "amplitude"),
                ("/predict/stream", #"{"frequency": 440}"#, 400, "Invalid request body"),
                ("/predict", #"{"frequency": "high", "duration": 1}"#, 400, "Invalid request body"),
                ("/predict", "not json", 400, "Invalid request body"),
            ]
            let client = try TestClient(port: running.port)
            for (path, body, status, fragment) in cases {
                let answer = try client.request("POST", path, body: body)
                #expect(answer.status == status, "\(body): \(answer.bodyText)")
                #expect(answer.header("Content-Type") == "application/json")
                #expect(answer.bodyText.contains(fragment), "\(body): \(answer.bodyText)")
            }
            let after = try client.request("POST", "/predict", body: #"{"frequency": 440, "duration": 0.01}"#)
            let expected = try Tone(frequency: 440, duration: 0.01).wav()
            #expect(after.status == 200)
            #expect(after.body == expected)
        }
    }

    @Test func lituvExampleServesBothModels() throws {
        let stats = try ExampleProcess(arguments: [
            "--model", "image-stats", "--io-threads", "1", "--max-batch-size", "2",
        ])
        defer {
            kill(stats.process.processIdentifier, SIGTERM)
            _ = stats.waitForExit()
        }
        try withScratchDirectory { directory in
            let ppm = Array("P6 1 1 255\n".utf8) + [10, 20, 30]
            try write(ppm, to: directory + "/one.ppm")
            let answer = try curlStatus(["-F", "file=@\(directory)/one.ppm"], port: stats.port)
            #expect(answer.status == 200)
            #expect(answer.body == (try expectedStatistics(ppm)))
        }

        let tone = try ExampleProcess(arguments: [
            "--model", "tone", "--io-threads", "1", "--tone-chunk-samples", "512",
        ])
        defer {
            kill(tone.process.processIdentifier, SIGTERM)
            _ = tone.waitForExit()
        }
        let streamed = try TestClient(port: tone.port).request(
            "POST",
            "/predict/stream",
            body: #"{"frequency": 220, "duration": 0.25}"#
        )
        #expect(streamed.header("Content-Type") == "audio/wav")
        #expect(streamed.body == (try Tone(frequency: 220, duration: 0.25).wav()))
    }
}

// MARK: - Helpers

/// Batch sizes seen by ``RecordingImageStatsAPI``.
private final class BatchSizes: Sendable {
    private let storage = Locked<[Int]>([])
    func record(_ size: Int) { storage.withLock { $0.append(size) } }
    var sizes: [Int] { storage.withLock { $0 } }
}

/// ``ImageStatsAPI`` recording the size of every batch.
private struct RecordingImageStatsAPI: LitAPI {
    typealias Request = MultipartForm
    typealias Response = ImageStatistics
    let recorder: BatchSizes
    let inner = ImageStatsAPI()

    func decodeRequest(_ form: MultipartForm) throws -> DecodedImage { try inner.decodeRequest(form) }
    func predict(batch images: [DecodedImage]) throws -> [ImageStatistics] {
        recorder.record(images.count)
        return try inner.predict(batch: images)
    }
}

/// ``ToneAPI`` that waits on `gate` after emitting its first piece.
private struct GatedToneAPI: LitStreamingAPI {
    typealias Request = ToneRequest
    typealias Response = [UInt8]
    let gate: DispatchSemaphore

    func decodeRequest(_ request: ToneRequest, context: RequestContext) throws -> Tone {
        try ToneAPI().decodeRequest(request, context: context)
    }

    func predict(_ tone: Tone, emit: ([UInt8]) throws -> Void) throws {
        var first = true
        for chunk in tone.wavChunks(samplesPerChunk: 1000) {
            try emit(chunk)
            if first {
                first = false
                _ = gate.wait(timeout: .now() + 30)
            }
        }
    }

    func encodeResponse(_ output: [UInt8]) throws -> [UInt8] { output }
}

/// Reads from `client`'s socket until `done` holds for everything read so far.
private func receive(from client: TestClient, until done: ([UInt8]) -> Bool) throws -> [UInt8] {
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while !done(bytes) {
        let count = chunk.withUnsafeMutableBytes { recv(client.fd, $0.baseAddress, 65536, 0) }
        guard count > 0 else { throw TestClientError.closed }
        bytes += chunk[0..<count]
    }
    return bytes
}

extension TestClient {
    /// Reads the rest of a chunked response whose first bytes (head included) are `early`, and returns its body.
    fileprivate func readUntilCompleteChunkedBody(after early: [UInt8]) throws -> [UInt8] {
        let all = try receive(from: self) { bytes in
            let joined = early + bytes
            return joined.count >= 5 && Array(joined.suffix(5)) == Array("0\r\n\r\n".utf8)
        }
        var raw = early + all
        guard let headEnd = raw.firstRange(of: Array("\r\n\r\n".utf8))?.upperBound else {
            throw TestClientError.malformed("no head")
        }
        raw.removeFirst(headEnd)
        var body: [UInt8] = []
        while let lineEnd = raw.firstRange(of: Array("\r\n".utf8)) {
            guard let size = Int(String(decoding: raw[..<lineEnd.lowerBound], as: UTF8.self), radix: 16) else {
                throw TestClientError.malformed("chunk size")
            }
            if size == 0 { break }
            body += raw[lineEnd.upperBound..<(lineEnd.upperBound + size)]
            raw.removeFirst(lineEnd.upperBound + size + 2)
        }
        return body
    }
}
