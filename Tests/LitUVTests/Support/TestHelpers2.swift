import Foundation
import Synchronization
import Testing

@testable import LitUV

#if canImport(Glibc)
import Glibc
#endif

// Helpers for the end-to-end suites (bad input, connection behaviour, pipelining, concurrency).

/// The JSON object in a response body, or nil when the body is not a JSON object.
func jsonObject(_ response: TestResponse) -> [String: Any]? {
    guard !response.body.isEmpty else { return nil }
    return (try? JSONSerialization.jsonObject(with: Data(response.body), options: [.fragmentsAllowed]))
        as? [String: Any]
}

/// The `output` number of a prediction response body, or nil.
func outputValue(_ response: TestResponse) -> Double? {
    (jsonObject(response)?["output"] as? NSNumber)?.doubleValue
}

/// Checks that `response` is the JSON error `{"detail": "..."}` with `status`, and returns the detail.
@discardableResult
func expectJSONError(
    _ response: TestResponse,
    status: Int,
    sourceLocation: SourceLocation = #_sourceLocation
) -> String? {
    #expect(response.status == status, "body: \(response.bodyText)", sourceLocation: sourceLocation)
    #expect(
        response.header("Content-Type") == "application/json",
        "Content-Type of a \(response.status) answer",
        sourceLocation: sourceLocation
    )
    #expect(
        response.header("Content-Length") == String(response.body.count),
        sourceLocation: sourceLocation
    )
    let detail = jsonObject(response)?["detail"] as? String
    #expect(
        detail != nil,
        "error body must be a JSON object with a string \"detail\": \(response.bodyText)",
        sourceLocation: sourceLocation
    )
    return detail
}

/// Checks a prediction answer: 200, JSON, and `output == expected`.
///
/// Until `Sources/LitUV/JSON/JSONEncodingState.swift` exists the temporary Foundation encoder may print `16` for
/// `16.0`, so the exact bytes are only compared once that file is there; the value is always compared.
func expectOutput(
    _ response: TestResponse,
    _ expected: Double,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(response.status == 200, "body: \(response.bodyText)", sourceLocation: sourceLocation)
    #expect(response.header("Content-Type") == "application/json", sourceLocation: sourceLocation)
    #expect(outputValue(response) == expected, "body: \(response.bodyText)", sourceLocation: sourceLocation)
    if ownJSONEncoderIsPresent {
        #expect(response.bodyText == #"{"output":\#(expected)}"#, sourceLocation: sourceLocation)
    }
}

/// Whether the project's own JSON encoder has replaced the temporary Foundation stub.
let ownJSONEncoderIsPresent: Bool = {
    let source = URL(fileURLWithPath: #filePath)  // .../Tests/LitUVTests/Support/TestHelpers2.swift
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("Sources/LitUV/JSON/JSONEncodingState.swift")
    return FileManager.default.fileExists(atPath: source.path)
}()

/// A `POST /predict` request with a JSON body `{"input":x}`.
func predictRequest(_ input: Double, headers: [String] = []) -> String {
    TestClient.format("POST", "/predict", body: #"{"input":\#(input)}"#, headers: headers)
}

/// Expects that the server closes `client`'s connection within `within` seconds.
func expectClosed(
    _ client: TestClient,
    within seconds: Double = 3,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    client.setTimeout(seconds)
    #expect(client.isClosedByServer(), "the server should close the connection", sourceLocation: sourceLocation)
}

/// Expects that a fresh connection to `port` is served (`GET /health` → 200 `ok`).
func expectServesNewConnection(port: Int, sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        let client = try TestClient(port: port, timeout: 5)
        let response = try client.request("GET", "/health")
        #expect(response.status == 200, sourceLocation: sourceLocation)
        #expect(response.bodyText == "ok", sourceLocation: sourceLocation)
    } catch {
        Issue.record("a new connection was not served: \(error)", sourceLocation: sourceLocation)
    }
}

/// Sends raw bytes on a new connection and reads one response.
func sendRaw(_ text: String, port: Int, timeout: Double = 5) throws -> (TestClient, TestResponse) {
    let client = try TestClient(port: port, timeout: timeout)
    try client.send(text)
    return (client, try client.readResponse())
}

/// Seconds elapsed since `start`.
func secondsSince(_ start: ContinuousClock.Instant) -> Double {
    let (seconds, attoseconds) = (ContinuousClock.now - start).components
    return Double(seconds) + Double(attoseconds) / 1e18
}

/// Runs `body(index)` on `count` threads at once and waits for all of them.
func runOnThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for index in 0..<count {
        group.enter()
        let thread = Thread {
            body(index)
            group.leave()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
    group.wait()
}

/// x² after sleeping `(10 - x) × 20 ms`, so that later (larger) inputs finish first.
struct ReverseDelaySquareAPI: LitAPI {
    typealias Request = SquareAPI.Request
    typealias Response = SquareAPI.Response
    func decodeRequest(_ request: Request) throws -> Double { request.input }
    func predict(_ x: Double) throws -> Double {
        sleepPrecisely(.milliseconds(Int(max(0, 10 - x)) * 20))
        return x * x
    }
    func encodeResponse(_ y: Double) throws -> Response { Response(output: y) }
}

/// Thread-safe collection of failure messages from client threads.
final class FailureLog: Sendable {
    private let messages = Locked<[String]>([])
    func record(_ message: String) { messages.withLock { $0.append(message) } }
    var all: [String] { messages.withLock { $0 } }
}

/// A thread-safe counter.
final class Counter: Sendable {
    private let storage = Locked<Int>(0)
    func increment() { storage.withLock { $0 += 1 } }
    var value: Int { storage.withLock { $0 } }
}

/// x², counting every `predict` call (shared across worker copies) and sleeping `delay` in each.
struct CountingSquareAPI: LitAPI {
    typealias Request = SquareAPI.Request
    typealias Response = SquareAPI.Response
    let calls: Counter
    var delay: Duration = .zero
    func decodeRequest(_ request: Request) throws -> Double { request.input }
    func predict(_ x: Double) throws -> Double {
        calls.increment()
        sleepPrecisely(delay)
        return x * x
    }
    func encodeResponse(_ y: Double) throws -> Response { Response(output: y) }
}

extension TestClient {
    /// Makes the socket's close send RST instead of FIN (SO_LINGER with a zero timeout): an abrupt client.
    func resetOnClose() {
        var option = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
    }
}
