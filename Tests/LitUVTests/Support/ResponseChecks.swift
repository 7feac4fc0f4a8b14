import Foundation
import Testing

@testable import LitUV

// Checks of what the server answered, for the end-to-end suites.

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

/// Checks a prediction answer: 200, JSON, `output == expected`, and the exact bytes LitUV's encoder writes.
func expectOutput(
    _ response: TestResponse,
    _ expected: Double,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(response.status == 200, "body: \(response.bodyText)", sourceLocation: sourceLocation)
    #expect(response.header("Content-Type") == "application/json", sourceLocation: sourceLocation)
    #expect(outputValue(response) == expected, "body: \(response.bodyText)", sourceLocation: sourceLocation)
    #expect(response.bodyText == #"{"output":\#(expected)}"#, sourceLocation: sourceLocation)
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
