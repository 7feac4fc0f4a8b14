import Foundation
import Testing

@testable import LitUV

@Suite("Predict end to end")
struct PredictEndToEndTests {
    @Test func squareModelAnswersSixteenForFour() throws {
        let server = try LitServer(SquareAPI(), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            let response = try client.request("POST", "/predict", body: #"{"input": 4.0}"#)
            #expect(response.status == 200)
            #expect(response.bodyText == #"{"output":16.0}"#)
            #expect(response.header("Content-Type") == "application/json")
        }
    }
}
