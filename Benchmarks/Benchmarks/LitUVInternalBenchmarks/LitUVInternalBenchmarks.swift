// Micro-benchmarks of LitUV's per-request building blocks, through its `@_spi(Benchmarks)` surface: the request
// parser, the response encoder, the two lock-free queues, the JSON codec on the example's bodies, and gzip response
// compression on an embedding-like body.
//
// Every benchmark runs `scaledIterations` operations per measured iteration (scaling factor kilo), so wall clock
// and malloc counts marked * in the output are per operation. Thresholds/ holds the checked-in malloc counts.

import Benchmark
@_spi(Benchmarks) import LitUV
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

// MARK: - Inputs

enum Requests {
    /// The smallest realistic request: a health probe.
    static let small = Array("GET /health HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n\r\n".utf8)

    /// What `curl -X POST http://127.0.0.1:8000/predict -d '{"input": 4.0}'` sends (with a JSON content type).
    static let curlPOST = Array(
        ("POST /predict HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n"
            + "Content-Type: application/json\r\nContent-Length: 14\r\n\r\n{\"input\": 4.0}").utf8
    )

    /// A browser-like POST: 20 header fields, cookies, about 1.2 KB of head.
    static let manyHeaders: [UInt8] = {
        var head = "POST /predict?model=square&version=3 HTTP/1.1\r\nHost: models.example.com\r\n"
        head += "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
        head += "Accept: application/json, text/plain, */*\r\nAccept-Language: en-US,en;q=0.5\r\n"
        head += "Accept-Encoding: gzip, deflate, br, zstd\r\nContent-Type: application/json\r\n"
        head += "Content-Length: 14\r\nOrigin: https://app.example.com\r\nConnection: keep-alive\r\n"
        head += "Referer: https://app.example.com/dashboard/models/square?tab=predict\r\n"
        head += "Cookie: session=3f9a1c7e5b2d48a6b0e1f2c3d4e5f60718293a4b5c6d7e8f; theme=dark; "
        head += "_ga=GA1.1.1234567890.1700000000; _gid=GA1.1.987654321.1700000000; consent=analytics%2Cads\r\n"
        head += "Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcdefghijk\r\n"
        head += "Sec-Fetch-Dest: empty\r\nSec-Fetch-Mode: cors\r\nSec-Fetch-Site: same-site\r\n"
        head += "X-Request-ID: 7c9e6679-7425-40de-944b-e07fc1f90ae7\r\nX-Forwarded-For: 203.0.113.7, 198.51.100.2\r\n"
        head += "Priority: u=0\r\nPragma: no-cache\r\nCache-Control: no-cache\r\n\r\n"
        return Array(head.utf8) + Array("{\"input\": 4.0}".utf8)
    }()
}

/// An embedding-like JSON response, `{"embedding":[-0.0123456,…]}` with `count` floats of 7 decimals and random
/// digits (as a model's are; SplitMix64 with a fixed seed, so every run compresses the same bytes). 8192 floats make
/// 86,077 bytes (84 KiB).
func embeddingJSON(count: Int) -> [UInt8] {
    var state: UInt64 = 42
    var out: [UInt8] = Array(#"{"embedding":["#.utf8)
    for i in 0..<count {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        if i > 0 { out.append(UInt8(ascii: ",")) }
        if z & 1 == 1 { out.append(UInt8(ascii: "-")) }
        out.append(contentsOf: [UInt8(ascii: "0"), UInt8(ascii: "."), UInt8(ascii: "0")])
        var digits = (z >> 8) % 1_000_000
        var divisor: UInt64 = 100_000
        while divisor > 0 {
            out.append(UInt8(ascii: "0") + UInt8(digits / divisor))
            digits %= divisor
            divisor /= 10
        }
    }
    out.append(contentsOf: Array("]}".utf8))
    return out
}

/// The same embedding as the model returns it, for the cost of encoding it to JSON.
struct EmbeddingResponse: Codable, Sendable { var embedding: [Float] }

/// The example's bodies (the same shapes as ExampleModels.SquareAPI).
struct SquareRequest: Codable, Sendable { var input: Double }
struct SquareResponse: Codable, Sendable { var output: Double }

/// Parses every request in `bytes` (one, or several pipelined) to its end; returns the requests completed.
@inline(__always)
func parseAll(_ parser: inout HTTPRequestParser, _ bytes: UnsafeRawBufferPointer) -> Int {
    var offset = 0
    var completed = 0
    while offset < bytes.count {
        switch parser.parse(UnsafeRawBufferPointer(rebasing: bytes[offset...])) {
        case .needMore(let consumed):
            offset += consumed
            if consumed == 0 { return completed }
        case .head(_, let consumed):
            offset += consumed
        case .body(_, let consumed):
            offset += consumed
        case .end(let consumed):
            offset += consumed
            completed += 1
        case .error:
            fatalError("benchmark input did not parse")
        }
    }
    // A request without a body ends on the next call.
    if case .end = parser.parse(UnsafeRawBufferPointer(start: nil, count: 0)) { completed += 1 }
    return completed
}

// MARK: - Threads for the contention benchmarks

/// Runs `bodies` on their own POSIX threads at once and waits for all of them.
func runConcurrently(_ bodies: [@Sendable () -> Void]) {
    final class Box: @unchecked Sendable {
        // @unchecked Sendable: set before the thread starts, read only by it.
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    var threads: [pthread_t] = []
    for body in bodies {
        var thread = pthread_t()
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        let status = pthread_create(
            &thread,
            nil,
            { argument in
                let box = Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue()
                box.body()
                return nil
            },
            box
        )
        precondition(status == 0, "pthread_create failed")
        threads.append(thread)
    }
    for thread in threads { pthread_join(thread, nil) }
}

/// Moves `count` integers through `queue` with `producers` producer and `consumers` consumer threads; a thread
/// whose try fails yields (the machine may have fewer cores than threads).
func pump(_ queue: BoundedMPMCQueue<Int>, count: Int, producers: Int, consumers: Int) {
    let remaining = Atomic<Int>(count)
    var bodies: [@Sendable () -> Void] = []
    for p in 0..<producers {
        let share = count / producers + (p < count % producers ? 1 : 0)
        bodies.append {
            for i in 0..<share {
                while !queue.tryEnqueue(i) { sched_yield() }
            }
        }
    }
    for _ in 0..<consumers {
        bodies.append {
            while remaining.load(ordering: .relaxed) > 0 {
                if let value = queue.tryDequeue() {
                    blackHole(value)
                    remaining.subtract(1, ordering: .relaxed)
                } else {
                    sched_yield()
                }
            }
        }
    }
    runConcurrently(bodies)
}

// MARK: - Benchmarks

// Names contain no spaces or slashes: ordo-one/benchmark 1.38 writes Thresholds/ files with those replaced by "_"
// but looks them up with the original name.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .throughput, .mallocCountTotal],
        warmupIterations: 10,
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 10_000,
        // Thresholds/ stores raw counts per measured iteration (1,000 operations, plus the harness's own 16
        // allocations): a tolerance of 5 lets that noise through and fails on one more allocation per op.
        thresholds: [.mallocCountTotal: .init(absolute: [.p90: 5])]
    )

    // MARK: Request parsing (steady state: one parser per connection, reused request after request)

    for (name, input) in [
        ("smallGET", Requests.small), ("curlPOST", Requests.curlPOST),
        ("headers20POST", Requests.manyHeaders),
    ] {
        Benchmark("HTTPRequestParser.\(name)_\(input.count)B") { benchmark in
            var parser = HTTPRequestParser()
            input.withUnsafeBytes { bytes in
                _ = parseAll(&parser, bytes)  // the headers array reaches its steady-state capacity
                benchmark.startMeasurement()
                for _ in benchmark.scaledIterations {
                    blackHole(parseAll(&parser, bytes))
                }
                benchmark.stopMeasurement()
            }
        }
    }

    Benchmark("HTTPRequestParser.curlPOST_1ByteReads") { benchmark in
        // The incremental path: the caller re-presents unconsumed bytes with one more byte each time.
        var parser = HTTPRequestParser()
        Requests.curlPOST.withUnsafeBytes { bytes in
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                var start = 0
                var end = 1
                var done = false
                while !done {
                    switch parser.parse(UnsafeRawBufferPointer(rebasing: bytes[start..<end])) {
                    case .needMore(let consumed):
                        start += consumed
                        end = min(end + 1, bytes.count)
                    case .head(_, let consumed), .body(_, let consumed):
                        start += consumed
                        if start == end { end = min(end + 1, bytes.count) }
                    case .end(let consumed):
                        start += consumed
                        done = true
                    case .error:
                        fatalError("benchmark input did not parse")
                    }
                }
                blackHole(start)
            }
            benchmark.stopMeasurement()
        }
    }

    // MARK: Response writing

    Benchmark("HTTPResponseEncoder.json200") { benchmark in
        var buffer = ByteBuffer()
        var date = DateCache()
        let response = HTTPResponse(status: .ok, contentType: .json, body: Array(#"{"output":16.0}"#.utf8))
        HTTPResponseEncoder.encode(
            response,
            omitBody: false,
            keepAlive: true,
            minorVersion: 1,
            date: &date,
            into: &buffer
        )
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            buffer.removeAll()
            HTTPResponseEncoder.encode(
                response,
                omitBody: false,
                keepAlive: true,
                minorVersion: 1,
                date: &date,
                into: &buffer
            )
            blackHole(buffer.count)
        }
        benchmark.stopMeasurement()
    }

    // MARK: Queues

    Benchmark("BoundedMPMCQueue.oneThread") { benchmark in
        let queue = BoundedMPMCQueue<Int>(capacity: 8192)
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            _ = queue.tryEnqueue(i)
            blackHole(queue.tryDequeue())
        }
        benchmark.stopMeasurement()
    }

    for (producers, consumers) in [(1, 1), (2, 1), (2, 2)] {
        Benchmark(
            "BoundedMPMCQueue.\(producers)producers\(consumers)consumers",  // per element
            configuration: .init(
                scalingFactor: .mega,
                maxDuration: .seconds(3),
                maxIterations: 50,
                // Starting the threads allocates a few dozen times per iteration.
                thresholds: [.mallocCountTotal: .init(absolute: [.p90: 30])]
            )
        ) { benchmark in
            let queue = BoundedMPMCQueue<Int>(capacity: 8192)
            benchmark.startMeasurement()
            pump(queue, count: benchmark.scaledIterations.count, producers: producers, consumers: consumers)
            benchmark.stopMeasurement()
        }
    }

    Benchmark("MPSCQueue.oneThread") { benchmark in
        let queue = MPSCQueue<Int>()
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            queue.enqueue(i)
            blackHole(queue.dequeue())
        }
        benchmark.stopMeasurement()
    }

    // MARK: JSON (the example's request and response bodies)

    let requestBody: [UInt8] = Array(#"{"input": 4.0}"#.utf8)
    Benchmark("LitJSON.decodeSquareRequest") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try LitJSON.decode(SquareRequest.self, from: requestBody))
        }
    }

    Benchmark("LitJSON.encodeSquareResponse") { benchmark in
        let response = SquareResponse(output: 16.0)
        for _ in benchmark.scaledIterations {
            blackHole(try LitJSON.encode(response))
        }
    }

    Benchmark("LitJSON.encodeSquareResponseIntoBuffer") { benchmark in
        let response = SquareResponse(output: 16.0)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(64)
        for _ in benchmark.scaledIterations {
            buffer.removeAll(keepingCapacity: true)
            try LitJSON.encode(response, into: &buffer)
            blackHole(buffer.count)
        }
    }

    // MARK: Response compression (gzip, one encoder reused as an I/O loop or a worker would)

    // One operation per measured iteration: wall clock and allocations are per body. `outputBytes` is the size of the
    // output (the gzip member, or the JSON for the encoding benchmark; the same every iteration).
    let gzipConfiguration = Benchmark.Configuration(
        metrics: [
            .wallClock, .cpuTotal, .throughput, .mallocCountTotal,
            .custom("outputBytes", polarity: .prefersSmaller, useScalingFactor: false),
        ],
        warmupIterations: 10,
        scalingFactor: .one,
        maxDuration: .seconds(3),
        maxIterations: 5000,
        thresholds: [.mallocCountTotal: .init(absolute: [.p90: 0])]
    )
    let embedding = embeddingJSON(count: 8192)
    let thresholdBody = Array(embedding.prefix(1000))  // a body at the policy's threshold
    let bodies = [("embedding8192_\(embedding.count)B", embedding), ("json_1000B", thresholdBody), ("empty", [])]
    for (name, body) in bodies {
        for level in [GzipLevel.fastest, .balanced] {
            Benchmark("Gzip.\(name).level\(level.value)", configuration: gzipConfiguration) { benchmark in
                let encoder = try GzipEncoder(level: level)
                var size = 0
                benchmark.startMeasurement()
                for _ in benchmark.scaledIterations {
                    let member = try encoder.compress(body)  // one allocation: the member's array
                    size = member.count
                    blackHole(member)
                }
                benchmark.stopMeasurement()
                benchmark.measurement(.custom("outputBytes", polarity: .prefersSmaller, useScalingFactor: false), size)
            }
        }
    }

    Benchmark("Gzip.embedding8192IntoBuffer.level1", configuration: gzipConfiguration) { benchmark in
        // Into a reused output buffer (as the connection's write buffer would be): no allocation at all, so zlib
        // allocates nothing per body either.
        let encoder = try GzipEncoder(level: .fastest)
        var buffer = ByteBuffer()
        var size = 0
        try embedding.withUnsafeBytes { bytes in
            try encoder.compress(bytes, appendingTo: &buffer)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                buffer.removeAll()
                size = try encoder.compress(bytes, appendingTo: &buffer)
            }
            benchmark.stopMeasurement()
        }
        benchmark.measurement(.custom("outputBytes", polarity: .prefersSmaller, useScalingFactor: false), size)
    }

    Benchmark("LitJSON.encodeEmbedding8192", configuration: gzipConfiguration) { benchmark in
        // The work a worker does before compression, for scale: encoding the same 8192 floats.
        let response = EmbeddingResponse(embedding: (0..<8192).map { Float($0 % 2000 - 1000) * 0.0000123 })
        var size = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let json = try LitJSON.encode(response)
            size = json.count
            blackHole(json)
        }
        benchmark.stopMeasurement()
        benchmark.measurement(.custom("outputBytes", polarity: .prefersSmaller, useScalingFactor: false), size)
    }
}
