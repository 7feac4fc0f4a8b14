import Testing

@_spi(Benchmarks) @testable import LitUV

// ResponseCompression: which whole bodies are sent gzip-coded.

private func body(_ count: Int) -> [UInt8] {
    // Compressible text of exactly `count` bytes.
    Array(String(repeating: #"{"output":[0.125,0.25,0.5]}"#, count: count / 27 + 1).utf8.prefix(count))
}

@Test func aLargeJSONBodyIsCompressedForAGzipClient() throws {
    let encoder = try GzipEncoder()
    let policy = ResponseCompression()
    let json = embeddingJSON(count: 1024)
    let compressed = try #require(
        policy.compressedBody(json, contentType: .json, acceptsGzip: true, encoder: encoder)
    )
    #expect(try gunzip(compressed) == json)
    #expect(compressed.count < json.count)
}

@Test func theDefaultsAreLitServesThresholdAndLevelOne() {
    let policy = ResponseCompression()
    #expect(policy.minimumBodySize == 1000)
    #expect(policy.level == .fastest)
    #expect(ResponseCompression(minimumBodySize: -5).minimumBodySize == 0)
}

@Test func bodiesBelowTheThresholdAreSentAsTheyAre() throws {
    let encoder = try GzipEncoder()
    let policy = ResponseCompression(minimumBodySize: 500)
    #expect(policy.compressedBody(body(499), contentType: .json, acceptsGzip: true, encoder: encoder) == nil)
    let atThreshold = policy.compressedBody(body(500), contentType: .json, acceptsGzip: true, encoder: encoder)
    #expect(try gunzip(try #require(atThreshold)) == body(500))
    #expect(policy.compressedBody([], contentType: .json, acceptsGzip: true, encoder: encoder) == nil)
    let zero = ResponseCompression(minimumBodySize: 0)
    #expect(zero.compressedBody([], contentType: .json, acceptsGzip: true, encoder: encoder) == nil, "not smaller")
}

@Test func clientsThatDoNotAcceptGzipGetTheBodyAsItIs() throws {
    let encoder = try GzipEncoder()
    #expect(
        ResponseCompression().compressedBody(body(5000), contentType: .json, acceptsGzip: false, encoder: encoder)
            == nil
    )
}

@Test func eventStreamsAndEncodedBodiesAreNeverCompressed() throws {
    let encoder = try GzipEncoder()
    let policy = ResponseCompression()
    let large = body(5000)
    #expect(policy.compressedBody(large, contentType: .eventStream, acceptsGzip: true, encoder: encoder) == nil)
    #expect(policy.compressedBody(large, contentType: .none, acceptsGzip: true, encoder: encoder) == nil)
    #expect(
        policy.compressedBody(large, contentType: .json, acceptsGzip: true, alreadyEncoded: true, encoder: encoder)
            == nil
    )
    for type in [HTTPResponse.ContentType.text, .ndjson, .prometheus] {
        #expect(policy.compressedBody(large, contentType: type, acceptsGzip: true, encoder: encoder) != nil)
    }
}

@Test func aBodyThatDoesNotShrinkIsSentAsItIs() throws {
    var generator = SplitMix(state: 3)
    let random = (0..<4096).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
    let policy = ResponseCompression()
    #expect(policy.compressedBody(random, contentType: .json, acceptsGzip: true, encoder: try GzipEncoder()) == nil)
}

@Test func contentTypeFieldValuesAreClassified() throws {
    let compressible = [
        "application/json", "Application/JSON", "application/json; charset=utf-8", " application/json ",
        "application/x-ndjson", "application/ndjson", "application/jsonl", "application/problem+json",
        "application/vnd.api+json", "text/plain", "text/plain; charset=utf-8", "text/html", "text/csv",
        "TEXT/Plain", "application/xml", "application/atom+xml", "image/svg+xml", "application/javascript",
        "application/x-www-form-urlencoded", "application/graphql", "text/plain; version=0.0.4",
    ]
    for value in compressible {
        #expect(ResponseCompression.isCompressible(contentType: value), "\(value)")
    }
    let notCompressible = [
        "text/event-stream", "Text/Event-Stream; charset=utf-8", "application/octet-stream", "image/png",
        "image/jpeg", "image/webp", "audio/wav", "audio/mpeg", "video/mp4", "font/woff2", "application/zip",
        "application/gzip", "application/x-protobuf", "multipart/form-data; boundary=x", "application/pdf", "",
        "json", "application/", "/json", "application/json extra", "application/+json", "application/json/x",
    ]
    for value in notCompressible {
        #expect(!ResponseCompression.isCompressible(contentType: value), "\(value)")
    }
    let encoder = try GzipEncoder()
    let policy = ResponseCompression()
    let large = body(5000)
    let compressed = large.withUnsafeBytes {
        policy.compressedBody($0, contentType: "application/json", acceptsGzip: true, encoder: encoder)
    }
    #expect(compressed != nil)
    let image = large.withUnsafeBytes {
        policy.compressedBody($0, contentType: "image/png", acceptsGzip: true, encoder: encoder)
    }
    #expect(image == nil)
}

@Test func varyIsSentForEveryCompressibleType() {
    for type in [HTTPResponse.ContentType.json, .text, .ndjson, .prometheus] {
        #expect(ResponseCompression.isCompressible(type))
    }
    #expect(!ResponseCompression.isCompressible(.eventStream))
    #expect(!ResponseCompression.isCompressible(.none))
    #expect("\(ResponseCompression.varyLine)" == "Vary: Accept-Encoding\r\n")
    #expect("\(ResponseCompression.contentEncodingLine)" == "Content-Encoding: gzip\r\n")
}
