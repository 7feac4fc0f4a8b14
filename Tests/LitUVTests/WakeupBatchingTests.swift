import Foundation
import Testing

@testable import LitUV

@Suite("Batched thread wake-ups")
struct WakeupBatchingTests {
    /// Workers wake their loop once for a run of answers; an answer must still go out as soon as its (slow) batch
    /// is done, not when the worker runs out of work.
    @Test func anAnswerGoesOutWhileTheWorkerIsStillBusy() throws {
        let server = try LitServer(
            PerRequestSquareAPI(delay: .milliseconds(40)),
            configuration: testConfiguration(ioThreads: 1)
        )
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            var wire = ""
            for value in 1...6 { wire += TestClient.format("POST", "/predict", body: #"{"input": \#(value).0}"#) }
            let sent = ContinuousClock.now
            try client.send(wire)
            let first = try client.readResponse()
            let firstAfter = ContinuousClock.now - sent
            #expect(first.bodyText == #"{"output":1.0}"#)
            // Six requests take 240 ms of predict; the first answer is ready after 40 ms.
            #expect(firstAfter < .milliseconds(160), "the first answer took \(firstAfter)")
            for value in 2...6 {
                #expect(try client.readResponse().bodyText == #"{"output":\#(Double(value * value))}"#)
            }
        }
    }

    /// Many connections' requests queued in one loop iteration are all answered (one wake-up takes them all).
    @Test func requestsQueuedTogetherFromManyConnectionsAreAllAnswered() throws {
        let server = try LitServer(SquareAPI(), configuration: testConfiguration(ioThreads: 1))
        try withRunningServer(server) { running in
            let clients = try (0..<32).map { _ in try TestClient(port: running.port) }
            for round in 0..<20 {
                for (index, client) in clients.enumerated() {
                    try client.send(TestClient.format("POST", "/predict", body: #"{"input": \#(index + round)}"#))
                }
                for (index, client) in clients.enumerated() {
                    let value = Double((index + round) * (index + round))
                    #expect(try client.readResponse().bodyText == #"{"output":\#(value)}"#)
                }
            }
        }
    }
}
