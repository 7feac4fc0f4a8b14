import Foundation
import Testing

@testable import LitUV

/// Pipelined requests (several sent before any answer is read) are answered in request order.
@Suite("Pipelining")
struct PipeliningTests {
    @Test func tenPipelinedRequestsInOneSendAreAnsweredInOrder() throws {
        let server = try LitServer(SquareAPI(), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            try client.send((0..<10).map { predictRequest(Double($0)) }.joined())
            for index in 0..<10 {
                expectOutput(try client.readResponse(), Double(index * index))
            }
            // The connection is still usable afterwards.
            expectOutput(try client.request("POST", "/predict", body: #"{"input":11.0}"#), 121.0)
        }
    }

    @Test func predictionsFinishingOutOfOrderAreAnsweredInRequestOrder() throws {
        // Request i sleeps (10 - i) × 20 ms on one of 4 workers, so later requests finish first.
        let server = try LitServer(
            PerRequestSquareAPI.reverseDelay,
            workersPerDevice: 4,
            configuration: testConfiguration()
        )
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            try client.send((0..<10).map { predictRequest(Double($0)) }.joined())
            for index in 0..<10 {
                let response = try client.readResponse()
                expectOutput(response, Double(index * index))
            }
        }
    }

    @Test func pipelinedMixOfHealthAndPredictStaysInOrder() throws {
        let server = try LitServer(
            PerRequestSquareAPI.reverseDelay,
            workersPerDevice: 4,
            configuration: testConfiguration()
        )
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            var raw = ""
            var expected: [Double?] = []  // nil: a /health answer
            for index in 0..<12 {
                if index % 3 == 1 {
                    raw += TestClient.format("GET", "/health")
                    expected.append(nil)
                } else {
                    raw += predictRequest(Double(index % 10))
                    expected.append(Double((index % 10) * (index % 10)))
                }
            }
            raw += TestClient.format("HEAD", "/health")
            try client.send(raw)
            for value in expected {
                let response = try client.readResponse()
                if let value {
                    expectOutput(response, value)
                } else {
                    #expect(response.status == 200)
                    #expect(response.bodyText == "ok")
                }
            }
            let head = try client.readResponse(head: true)
            #expect(head.status == 200)
            #expect(head.header("Content-Length") == "2")
            #expect(try client.request("GET", "/").bodyText == "litserve running")
        }
    }

    @Test func pipelinedRequestsSplitAcrossReadsAreAnsweredInOrder() throws {
        let server = try LitServer(SquareAPI(), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            let raw = (0..<5).map { predictRequest(Double($0)) }.joined()
            let bytes = Array(raw.utf8)
            // Cut the stream at awkward places: inside heads, bodies and between requests.
            var offset = 0
            for size in [7, 50, 3, 90, 1, 31] where offset < bytes.count {
                let end = min(bytes.count, offset + size)
                try client.send(Array(bytes[offset..<end]))
                offset = end
                usleep(2_000)
            }
            if offset < bytes.count { try client.send(Array(bytes[offset...])) }
            for index in 0..<5 {
                expectOutput(try client.readResponse(), Double(index * index))
            }
        }
    }

    @Test func errorInTheMiddleOfAPipelineAnswersEarlierRequestsFirst() throws {
        let server = try LitServer(CountingAPI(delay: .milliseconds(30)), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            try client.send(
                predictRequest(2.0) + predictRequest(3.0) + "BAD\u{1} / HTTP/1.1\r\nHost: t\r\n\r\n"
                    + predictRequest(4.0)
            )
            expectOutput(try client.readResponse(), 4.0)
            expectOutput(try client.readResponse(), 9.0)
            let error = try client.readResponse()
            expectJSONError(error, status: 400)
            #expect(error.header("Connection") == "close")
            expectClosed(client)
        }
    }

    @Test func twoHundredPipelinedRequestsPauseAndResumeReadingInOrder() throws {
        // More than the connection's pipeline window (64): reading pauses and resumes without losing order.
        let server = try LitServer(SquareAPI(), workersPerDevice: 2, configuration: testConfiguration())
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            let raw = (0..<200).map { $0 % 5 == 4 ? TestClient.format("GET", "/health") : predictRequest(Double($0)) }
            try client.send(raw.joined())
            for index in 0..<200 {
                let response = try client.readResponse()
                if index % 5 == 4 {
                    #expect(response.bodyText == "ok", "response \(index)")
                } else {
                    expectOutput(response, Double(index * index))
                }
            }
            #expect(try client.request("GET", "/").bodyText == "litserve running")
        }
    }

    @Test func expectContinueBehindAPendingPredictionStaysInOrder() throws {
        let server = try LitServer(CountingAPI(delay: .milliseconds(50)), configuration: testConfiguration())
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            let body = #"{"input":6.0}"#
            try client.send(
                predictRequest(2.0)
                    + "POST /predict HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
            )
            expectOutput(try client.readResponse(), 4.0)
            #expect(try client.readResponse().status == 100)
            try client.send(body)
            expectOutput(try client.readResponse(), 36.0)
        }
    }
}
