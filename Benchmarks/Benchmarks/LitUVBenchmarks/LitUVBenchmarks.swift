// End-to-end micro-benchmarks through LitUV's public API: a LitServer runs in this process (one I/O loop, one
// predict worker) and a blocking loopback client drives it one round trip at a time. The client allocates
// nothing, so the malloc counts are the server's own per-request allocations: parse → route → (worker) → write.

import Benchmark
import Foundation
import LitUV
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The example model (the same as ExampleModels.SquareAPI, which is not a product of the LitUV package).
struct Square: LitAPI {
    struct Request: Decodable, Sendable { var input: Double }
    struct Response: Encodable { var output: Double }
    func decodeRequest(_ request: Request) throws -> Double { request.input }
    func predict(_ x: Double) throws -> Double { x * x }
    func encodeResponse(_ y: Double) throws -> Response { Response(output: y) }
}

/// A blocking HTTP/1.1 client on one keep-alive connection that allocates nothing per request.
final class LoopbackClient: @unchecked Sendable {
    // @unchecked Sendable: used by one benchmark thread at a time.
    private let fd: Int32
    private let buffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0

    init(port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        precondition(fd >= 0, "socket failed")
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        precondition(status == 0, "connect failed: errno \(errno)")
        self.fd = fd
        buffer = .allocate(byteCount: 64 * 1024, alignment: 16)
    }

    deinit {
        close(fd)
        buffer.deallocate()
    }

    /// Sends `request` and reads `responses` complete responses; returns the status of the last one.
    func roundTrip(_ request: UnsafeRawBufferPointer, responses: Int = 1) -> Int {
        var sent = 0
        while sent < request.count {
            let n = send(fd, request.baseAddress! + sent, request.count - sent, Int32(MSG_NOSIGNAL))
            precondition(n > 0, "send failed: errno \(errno)")
            sent += n
        }
        var status = 0
        for _ in 0..<responses {
            status = readResponse()
        }
        return status
    }

    /// Reads one response framed by Content-Length (LitUV always sends it).
    private func readResponse() -> Int {
        while true {
            if let (status, length) = parseHead() {
                while end - start < length { fill() }
                start += length
                return status
            }
            fill()
        }
    }

    /// The status and total length of the response at `start`, once its head is buffered.
    private func parseHead() -> (Int, Int)? {
        let bytes = UnsafeRawBufferPointer(rebasing: buffer[start..<end])
        guard bytes.count >= 16 else { return nil }
        var i = 0
        var contentLength = 0
        var lineStart = 0
        while i + 1 < bytes.count {
            if bytes[i] == 13 && bytes[i + 1] == 10 {
                if i == lineStart {
                    let status = Int(bytes[9] - 48) * 100 + Int(bytes[10] - 48) * 10 + Int(bytes[11] - 48)
                    return (status, i + 2 + contentLength)
                }
                // "content-length:" (15 bytes), case-insensitive.
                if i - lineStart > 15 && (bytes[lineStart] | 0x20) == UInt8(ascii: "c")
                    && (bytes[lineStart + 8] | 0x20) == UInt8(ascii: "l") && bytes[lineStart + 14] == UInt8(ascii: ":")
                {
                    var j = lineStart + 15
                    contentLength = 0
                    while j < i {
                        let b = bytes[j]
                        if b >= 48 && b <= 57 { contentLength = contentLength * 10 + Int(b - 48) }
                        j += 1
                    }
                }
                lineStart = i + 2
                i += 2
            } else {
                i += 1
            }
        }
        return nil
    }

    private func fill() {
        if start == end {
            start = 0
            end = 0
        } else if end == buffer.count {
            buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: end - start)
            end -= start
            start = 0
        }
        let n = recv(fd, buffer.baseAddress! + end, buffer.count - end, 0)
        precondition(n > 0, "recv failed or the server closed: \(n), errno \(errno)")
        end += n
    }
}

/// A running in-process server and a connected client.
final class Fixture: @unchecked Sendable {
    // @unchecked Sendable: used by one benchmark at a time (setup, closure, teardown run in sequence).
    let server: RunningServer
    let client: LoopbackClient

    init(maxBatchSize: Int = 1, batchTimeout: Duration = .zero) throws {
        let litServer = try LitServer(
            Square(),
            maxBatchSize: maxBatchSize,
            batchTimeout: batchTimeout,
            configuration: .init(ioThreads: 1)
        )
        server = try litServer.start(host: "127.0.0.1", port: 0)
        for _ in 0..<1000 where !server.isReady { usleep(10_000) }
        client = LoopbackClient(port: server.port)
    }

    func stop() {
        server.shutdown()
        try? server.wait()
    }
}

/// The fixture of the benchmark running now (setup creates it, teardown stops it).
let currentFixture = Mutex<Fixture?>(nil)

func makeFixture(maxBatchSize: Int = 1) -> () async throws -> Fixture {
    {
        let fixture = try Fixture(maxBatchSize: maxBatchSize)
        currentFixture.withLock { $0 = fixture }
        return fixture
    }
}

func stopFixture() async throws {
    let fixture = currentFixture.withLock { current in
        defer { current = nil }
        return current
    }
    fixture?.stop()
}

let healthRequest = Array("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)
let predictRequest = Array(
    "POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 14\r\n\r\n{\"input\": 4.0}"
        .utf8
)
let notFoundRequest = Array("GET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .throughput, .mallocCountTotal, .syscalls, .contextSwitches],
        warmupIterations: 2,
        scalingFactor: .kilo,  // 1,000 round trips per measured iteration: figures marked * are per round trip
        maxDuration: .seconds(3),
        maxIterations: 1_000,
        // Thresholds/ stores raw counts per measured iteration (1,000 round trips, plus the harness's own 16
        // allocations): a tolerance of 20 lets that noise through and fails on one more allocation per request.
        thresholds: [.mallocCountTotal: .init(absolute: [.p90: 20])]
    )

    // Names contain no spaces or slashes: ordo-one/benchmark 1.38 writes Thresholds/ files with those replaced by
    // "_" but looks them up with the original name.
    for (name, request) in [
        ("E2E.GET_health", healthRequest),  // answered on the loop thread
        ("E2E.GET_404", notFoundRequest),  // answered on the loop thread
        ("E2E.POST_predict", predictRequest),  // loop → worker → loop
    ] {
        Benchmark(
            name,
            closure: { benchmark, fixture in
                request.withUnsafeBytes { bytes in
                    for _ in benchmark.scaledIterations {
                        blackHole(fixture.client.roundTrip(bytes))
                    }
                }
            },
            setup: makeFixture(),
            teardown: stopFixture
        )
    }

    // Batch collection through the public API: 8 pipelined requests reach the worker together and are answered
    // from one predict(batch:) call (maxBatchSize 8, no batch window).
    let eight = Array([[UInt8]](repeating: predictRequest, count: 8).joined())
    Benchmark(
        "E2E.POST_predict_x8_pipelined_maxBatchSize8",  // per 8 requests
        // How the 8 requests split into batches varies a little (per-batch arrays): allow 10%.
        configuration: .init(thresholds: [.mallocCountTotal: .init(absolute: [.p90: 8_000])]),
        closure: { benchmark, fixture in
            eight.withUnsafeBytes { bytes in
                for _ in benchmark.scaledIterations {
                    blackHole(fixture.client.roundTrip(bytes, responses: 8))
                }
            }
        },
        setup: makeFixture(maxBatchSize: 8),
        teardown: stopFixture
    )

    // The harness alone: what a measured iteration costs without any work (should be 0 allocations per op).
    Benchmark("Harness.emptyIteration") { benchmark in
        for i in benchmark.scaledIterations { blackHole(i) }
    }

    // A reference point for the JSON step (LitUV's own codec is internal; see LitUVInternalBenchmarks).
    let body = Data(#"{"input": 4.0}"#.utf8)
    Benchmark(
        "Foundation.JSONDecoder.squareRequest",
        configuration: .init(thresholds: [.mallocCountTotal: .init(absolute: [.p90: 20])])
    ) { benchmark in
        let decoder = JSONDecoder()
        for _ in benchmark.scaledIterations {
            blackHole(try decoder.decode(Square.Request.self, from: body))
        }
    }
    Benchmark(
        "Foundation.JSONEncoder.squareResponse",
        configuration: .init(thresholds: [.mallocCountTotal: .init(absolute: [.p90: 20])])
    ) { benchmark in
        let encoder = JSONEncoder()
        for _ in benchmark.scaledIterations {
            blackHole(try encoder.encode(Square.Response(output: 16)))
        }
    }
}
