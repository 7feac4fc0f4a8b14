import CZlib
import Foundation
import Testing

@_spi(Benchmarks) @testable import LitUV

// GzipEncoder: gzip members that zlib's inflate and Python's gzip module decode, from empty to 16 MiB, and the same
// bytes every time one encoder is reused.

// MARK: - Inputs and decoding

/// An embedding-like JSON response: `{"embedding":[…]}` with `count` floats such as `-0.0123456` (random digits, as
/// a model's are; SplitMix with a fixed seed, so every run compresses the same bytes).
func embeddingJSON(count: Int, seed: UInt64 = 42) -> [UInt8] {
    var generator = SplitMix(state: seed)
    var out: [UInt8] = Array(#"{"embedding":["#.utf8)
    out.reserveCapacity(16 + count * 11)
    for i in 0..<count {
        if i > 0 { out.append(UInt8(ascii: ",")) }
        let value = generator.next()
        if value & 1 == 1 { out.append(UInt8(ascii: "-")) }
        out.append(contentsOf: [UInt8(ascii: "0"), UInt8(ascii: "."), UInt8(ascii: "0")])
        var digits = (value >> 8) % 1_000_000
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

/// `count` bytes from a deterministic generator: deflate cannot shrink them.
private func randomBytes(_ count: Int, seed: UInt64 = 7) -> [UInt8] {
    var generator = SplitMix(state: seed)
    var out = [UInt8]()
    out.reserveCapacity(count + 8)
    while out.count < count {
        withUnsafeBytes(of: generator.next()) { out.append(contentsOf: $0) }
    }
    return Array(out.prefix(count))
}

struct InflateError: Error, CustomStringConvertible {
    var description: String
}

/// Decodes one gzip member with zlib's inflate (window bits 15 + 16: gzip only, CRC-32 and length checked), and
/// checks that nothing follows it.
func gunzip(_ member: [UInt8]) throws -> [UInt8] {
    var stream = z_stream()
    guard CZlib_inflateInit2(&stream, 15 + 16) == Z_OK else { throw InflateError(description: "inflateInit2") }
    defer { inflateEnd(&stream) }
    var output: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    return try member.withUnsafeBytes { input in
        stream.next_in = input.baseAddress?.assumingMemoryBound(to: Bytef.self)
        stream.avail_in = UInt32(input.count)
        while true {
            let status = chunk.withUnsafeMutableBytes { room in
                stream.next_out = room.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = UInt32(room.count)
                return inflate(&stream, Z_NO_FLUSH)
            }
            output.append(contentsOf: chunk[0..<(chunk.count - Int(stream.avail_out))])
            if status == Z_STREAM_END {
                guard stream.avail_in == 0 else { throw InflateError(description: "bytes after the member") }
                return output
            }
            guard status == Z_OK else { throw InflateError(description: "inflate status \(status)") }
        }
    }
}

/// Decodes `member` with Python's `gzip.decompress` in a child process; returns what it decoded.
func pythonGunzip(_ member: [UInt8]) throws -> [UInt8] {
    let directory = FileManager.default.temporaryDirectory
    let input = directory.appendingPathComponent("lituv-gzip-\(UUID().uuidString).gz")
    let output = directory.appendingPathComponent("lituv-gzip-\(UUID().uuidString).out")
    defer {
        try? FileManager.default.removeItem(at: input)
        try? FileManager.default.removeItem(at: output)
    }
    try Data(member).write(to: input)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [
        "python3", "-c",
        "import gzip, sys; open(sys.argv[2], 'wb').write(gzip.decompress(open(sys.argv[1], 'rb').read()))",
        input.path, output.path,
    ]
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw InflateError(description: "python3 gzip.decompress exited \(process.terminationStatus)")
    }
    return [UInt8](try Data(contentsOf: output))
}

/// Checks the RFC 1952 header LitUV writes: magic, deflate, no flags, no time, OS "Unix".
private func expectGzipHeader(_ member: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(member.count >= 18, sourceLocation: sourceLocation)
    guard member.count >= 18 else { return }
    #expect(Array(member[0..<4]) == [0x1F, 0x8B, 8, 0], "ID1 ID2 CM FLG", sourceLocation: sourceLocation)
    #expect(Array(member[4..<8]) == [0, 0, 0, 0], "MTIME", sourceLocation: sourceLocation)
    #expect(member[9] == 3, "OS", sourceLocation: sourceLocation)
}

// MARK: - Round trips

@Test func anEmbeddingResponseRoundTripsThroughInflateAndShrinks() throws {
    let body = embeddingJSON(count: 8192)
    let encoder = try GzipEncoder()
    let member = try encoder.compress(body)
    expectGzipHeader(member)
    #expect(try gunzip(member) == body)
    #expect(member.count < body.count * 6 / 10, "\(member.count) of \(body.count) bytes")
    #expect(member.count <= encoder.maximumCompressedCount(for: body.count))
}

@Test func anEmptyBodyIsAComplete20ByteMember() throws {
    let member = try GzipEncoder().compress([UInt8]())
    expectGzipHeader(member)
    #expect(member.count == 20)  // 10 header + 2 (an empty final block) + 8 trailer (CRC-32 0, length 0)
    #expect(try gunzip(member) == [])
}

@Test func aOneByteBodyRoundTrips() throws {
    let member = try GzipEncoder().compress([UInt8(ascii: "x")])
    expectGzipHeader(member)
    #expect(try gunzip(member) == [UInt8(ascii: "x")])
}

@Test func aSixteenMebibyteBodyRoundTrips() throws {
    // The largest body LitUV accepts by default: JSON with random bytes mixed in, so it is neither trivial nor
    // incompressible.
    var body = embeddingJSON(count: 1 << 18)
    body.append(contentsOf: randomBytes(1 << 20))
    while body.count < 16 << 20 { body.append(contentsOf: body.prefix(min(body.count, (16 << 20) - body.count))) }
    #expect(body.count == 16 << 20)
    let member = try GzipEncoder().compress(body)
    #expect(member.count < body.count)
    #expect(try gunzip(member) == body)
}

@Test func incompressibleBytesRoundTripWithinTheBound() throws {
    let encoder = try GzipEncoder(level: .smallest)
    for count in [1, 100, 65_536, 1_000_003] {
        let body = randomBytes(count)
        let member = try encoder.compress(body)
        #expect(member.count > body.count, "random bytes do not shrink")
        #expect(member.count <= encoder.maximumCompressedCount(for: count))
        #expect(try gunzip(member) == body)
    }
}

@Test func everyLevelRoundTripsAndNineIsNoLargerThanOne() throws {
    let body = embeddingJSON(count: 8192)
    var sizes: [Int: Int] = [:]
    for value in 1...9 {
        let level = try #require(GzipLevel(value))
        let member = try GzipEncoder(level: level).compress(body)
        #expect(try gunzip(member) == body)
        sizes[value] = member.count
    }
    #expect(sizes[9]! <= sizes[1]!)
    #expect(GzipLevel(0) == nil)
    #expect(GzipLevel(10) == nil)
    #expect(GzipLevel(-1) == nil)
    #expect(GzipLevel.fastest.value == 1 && GzipLevel.balanced.value == 6 && GzipLevel.smallest.value == 9)
}

@Test func pythonsGzipModuleDecodesTheOutput() throws {
    let encoder = try GzipEncoder()
    for body in [[], [UInt8(ascii: "{")], embeddingJSON(count: 8192), randomBytes(10_000)] {
        #expect(try pythonGunzip(try encoder.compress(body)) == body)
    }
}

// MARK: - Reuse

@Test func oneEncoderReusedAThousandTimesGivesTheSameBytes() throws {
    let body = embeddingJSON(count: 2048)
    let other = randomBytes(3000)
    let reference = try GzipEncoder().compress(body)
    let encoder = try GzipEncoder()
    for i in 0..<1000 {
        if i % 10 == 5 { _ = try encoder.compress(other) }  // another body in between must leave no trace
        let member = try encoder.compress(body)
        guard member == reference else {
            Issue.record("compression \(i) differs from a fresh encoder's")
            return
        }
    }
    #expect(try gunzip(reference) == body)
}

@Test func compressingIntoAByteBufferAppendsAfterItsBytes() throws {
    let encoder = try GzipEncoder()
    let body = embeddingJSON(count: 512)
    var buffer = ByteBuffer()
    buffer.append("HTTP head bytes\r\n\r\n" as StaticString)
    let headCount = buffer.count
    let written = try body.withUnsafeBytes { try encoder.compress($0, appendingTo: &buffer) }
    #expect(buffer.count == headCount + written)
    let member = Array(UnsafeRawBufferPointer(rebasing: buffer.bytes[headCount...]))
    #expect(member == (try encoder.compress(body)))
    #expect(try gunzip(member) == body)
}
