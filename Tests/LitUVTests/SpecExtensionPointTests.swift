import Foundation
import Testing

@testable import LitUV

/// A second, made-up spec built only on the core's extension points (a `StreamingCodec` and `StaticRoute`s), the
/// way `LitUVOpenAI` is: plain-text lines in and out, its own error type mapped to its own status, body and
/// mid-stream message, and a `/spec/models` route that several endpoints merge.
@Suite("Spec extension points")
struct SpecExtensionPointTests {
    /// The spec's own error: answered 418 with `ERR <reason>` before a stream starts, `!! <reason>` after.
    struct TextSpecError: Error {
        var reason: String
    }

    /// Echoes each word of the request body on its own line; `fail` before any output, `boom` after the first.
    struct WordsAPI: LitStreamingAPI {
        typealias Request = String
        typealias Input = String
        typealias Output = String
        typealias Response = String

        func decodeRequest(_ request: String, context: RequestContext) throws -> String { request }
        func predict(_ input: String, emit: (String) throws -> Void) throws {
            if input == "fail" { throw TextSpecError(reason: "no words for you") }
            for word in input.split(separator: " ") {
                if word == "boom" { throw TextSpecError(reason: "exploded at boom") }
                try emit(String(word))
            }
        }
        func encodeResponse(_ output: String) throws -> String { output }
    }

    /// The spec's framing: `text/plain` bodies, one line per output.
    struct TextLinesCodec: StreamingCodec {
        typealias API = WordsAPI
        typealias State = Void

        func decode(body: [UInt8], context: RequestContext, api: WordsAPI) throws -> (String, Void) {
            guard let text = String(validating: body, as: UTF8.self), !text.isEmpty else {
                throw TextSpecError(reason: "the body must be non-empty UTF-8 text")
            }
            return (text, ())
        }
        func isStreamed(_ state: Void) -> Bool { true }
        func contentType(_ state: Void) -> StreamContentType { .ndjson }
        func encode(_ output: String, state: inout Void, api: WordsAPI) throws -> [UInt8] {
            Array((output + "\n").utf8)
        }
        func end(state: inout Void) throws -> [UInt8] { Array("END\n".utf8) }
        func errorTrailer(_ message: String, state: Void) -> [UInt8] { Array("!! \(message)\n".utf8) }
        func errorBody(for error: any Error) -> (status: Int, body: [UInt8])? {
            guard let error = error as? TextSpecError else { return nil }
            return (418, Array(#"{"spec_error":"ERR \#(error.reason)"}"#.utf8))
        }
        func errorMessage(for error: any Error) -> String? { (error as? TextSpecError)?.reason }
    }

    /// An endpoint of the spec, listing `model` on `/spec/models` (merged with the spec's other endpoints).
    static func endpoint(path: String, model: String) -> LitEndpoint {
        var endpoint = LitEndpoint(streaming: WordsAPI(), codec: TextLinesCodec(), path: path)
        let merger = StaticRoute.Merger(key: "text-spec.models") { bodies in
            let names = bodies.map { String(decoding: $0, as: UTF8.self) }
            return Array("[\(names.joined(separator: ","))]".utf8)
        }
        endpoint.staticRoutes.append(
            StaticRoute(path: "/spec/models", body: Array(#""\#(model)""#.utf8), merger: merger)
        )
        return endpoint
    }

    @Test func theSpecFramesItsOwnStreams() throws {
        let server = try LitServer(
            endpoints: [Self.endpoint(path: "/words", model: "a")],
            configuration: testConfiguration()
        )
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            let response = try client.request("POST", "/words", body: "hello spec world")
            #expect(response.status == 200)
            #expect(response.bodyText == "hello\nspec\nworld\nEND\n")
        }
    }

    @Test func theSpecMapsItsOwnErrorsBeforeAndAfterTheStreamStarts() throws {
        let server = try LitServer(
            endpoints: [Self.endpoint(path: "/words", model: "a")],
            configuration: testConfiguration()
        )
        try withRunningServer(server) { running in
            let before = try TestClient(port: running.port).request("POST", "/words", body: "fail")
            #expect(before.status == 418)
            #expect(before.bodyText == #"{"spec_error":"ERR no words for you"}"#)

            let client = try TestClient(port: running.port)
            try client.send(TestClient.format("POST", "/words", body: "one two boom three"))
            client.setTimeout(10)
            let text = String(decoding: try client.readUntilClosed(), as: UTF8.self)
            #expect(text.hasPrefix("HTTP/1.1 200 OK"))
            #expect(text.contains("one\n"))
            #expect(text.contains("!! exploded at boom\n"), "the spec's own message ends the stream: \(text)")
            #expect(!text.contains("three"))
            #expect(!text.hasSuffix("0\r\n\r\n"), "no terminating chunk after a failure")
        }
    }

    @Test func aBodyTheSpecRefusesGetsTheSpecsErrorAndTheServerKeepsServing() throws {
        let server = try LitServer(
            endpoints: [Self.endpoint(path: "/words", model: "a")],
            configuration: testConfiguration()
        )
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            try client.send(Array("POST /words HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n".utf8) + [0xC3, 0x28])
            let refused = try client.readResponse()
            #expect(refused.status == 418)
            #expect(refused.bodyText.contains("non-empty UTF-8 text"))
            let next = try client.request("POST", "/words", body: "still here")
            #expect(next.bodyText == "still\nhere\nEND\n")
        }
    }

    @Test func staticRoutesOfOneSpecMergeAndOthersKeepTheFirst() throws {
        var other = LitEndpoint(SquareAPI(), path: "/square")
        other.staticRoutes.append(StaticRoute(path: "/spec/models", body: Array(#""not merged""#.utf8)))
        let server = try LitServer(
            endpoints: [
                Self.endpoint(path: "/words-a", model: "a"), other, Self.endpoint(path: "/words-b", model: "b"),
            ],
            configuration: testConfiguration()
        )
        try withRunningServer(server) { running in
            let models = try TestClient(port: running.port).request("GET", "/spec/models")
            #expect(models.status == 200)
            #expect(models.bodyText == #"["a","b"]"#, "both endpoints of the spec, once each; the other route dropped")
        }
    }
}
