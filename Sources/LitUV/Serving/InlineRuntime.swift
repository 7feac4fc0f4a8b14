import Logging
import Synchronization

/// Answers an endpoint's requests on the I/O loop that read them: no queue, no worker thread, no hand-off back.
/// For models that take microseconds, where the two thread hops cost more than the model (``LitEndpoint/runsInline``).
protocol InlinePredictor: AnyObject, Sendable {
    /// Runs `setup` on the copy used by loop `loop`. Called on that loop's thread before any listener is bound.
    func setup(loop: Int) throws
    /// How many loops' copies are set up (`setup(loop:)` succeeded for loops `0..<setUpCount`).
    var setUpCount: Int { get }
    /// Decodes, predicts and encodes one request on loop `loop`'s thread.
    /// - Parameters:
    ///   - deadline: Monotonic nanoseconds by which the answer must be ready (`UInt64.max` for never).
    ///   - observation: The callbacks' and the tracer's view of the request, when either is on.
    func respond(
        loop: Int,
        body: [UInt8],
        context: RequestContext,
        arrival: UInt64,
        deadline: UInt64,
        observation: RequestObservation?
    )
        -> HTTPResponse
    /// Runs `teardown` on loop `loop`'s copy, on that loop's thread, after `stop()`.
    func teardown(loop: Int)
    /// Every loop's copy is set up.
    var isReady: Bool { get }
    /// Every loop's copy is set up and its `health()` is true.
    var isHealthy: Bool { get }
    /// From now on requests are answered 503; the server then runs ``teardown(loop:)`` on each loop.
    func stop()
}

/// The inline side of one ``LitAPI`` endpoint: one copy of the API per I/O loop, each used only on its loop's thread.
final class InlineRuntime<API: LitAPI>: InlinePredictor, @unchecked Sendable {
    // Invariant for @unchecked Sendable: `copies` is appended to only by `setup(loop:)`, which the server calls on each
    // loop's thread in turn, waiting for each (a happens-before edge), before any listener is bound; afterwards it is
    // only read. `copies[i]` is used for `predict` only on loop i's thread; `health()` (non-mutating, on a Sendable
    // API) may be called from any loop; `teardown` runs on a copy of the value, on loop i's thread, after
    // `stop()` made every later request a 503.

    private let prototype: API
    private let settings: LitEndpointSettings
    private let statistics: EndpointStatistics
    private let errors: ErrorAnswers
    private let loopCount: Int
    private var copies: [API] = []
    private let stopped = Atomic<Bool>(false)
    private let readyCount = Atomic<Int>(0)

    init(prototype: API, context: EndpointContext) {
        self.prototype = prototype
        settings = context.endpoint
        statistics = context.statistics
        errors = ErrorAnswers(name: context.endpoint.name, logger: context.logger)
        loopCount = max(context.loopCount, 1)
        copies.reserveCapacity(loopCount)
    }

    func setup(loop: Int) throws {
        precondition(loop == copies.count, "inline copies are set up in loop order")
        var api = prototype
        try api.setup(device: Device(kind: "cpu", index: loop % settings.devices))
        copies.append(api)
        readyCount.add(1, ordering: .releasing)
    }

    var setUpCount: Int { readyCount.load(ordering: .acquiring) }

    func respond(
        loop: Int,
        body: [UInt8],
        context: RequestContext,
        arrival: UInt64,
        deadline: UInt64,
        observation: RequestObservation?
    )
        -> HTTPResponse
    {
        guard !stopped.load(ordering: .relaxed) else {
            return .error(.serviceUnavailable, "Server is shutting down", close: true)
        }
        let response =
            if let observation {
                observedAnswer(body: body, context: context, api: copies[loop], observation: observation)
            } else {
                answer(body: body, context: context, api: copies[loop])
            }
        let now = Monotonic.nanoseconds()
        statistics.recordBatch(size: 1)
        statistics.latency.observe(Double(now &- arrival) / 1e9)
        // Same contract as the queued path: an answer that is not ready by the deadline is a 504.
        guard now < deadline else { return .error(.gatewayTimeout, "Request timed out") }
        return response
    }

    func teardown(loop: Int) {
        guard loop < setUpCount else { return }
        var api = copies[loop]
        api.teardown()
    }

    /// decodeRequest → predict → encodeResponse for one request (`predict(_:context:)`, whose default calls
    /// `predict(_:)`, as LitServe calls it with `max_batch_size` 1).
    private func answer(body: [UInt8], context: RequestContext, api: API) -> HTTPResponse {
        let input: API.Input
        do {
            let request = try LitJSON.decode(API.Request.self, from: body)
            input = try api.decodeRequest(request, context: context)
        } catch {
            return errors.response(for: error, hook: "decodeRequest")
        }
        let output: API.Output
        do {
            output = try api.predict(input, context: context)
        } catch {
            return errors.response(for: error, hook: "predict")
        }
        do {
            let encoded = try LitJSON.encode(try api.encodeResponse(output, context: context))
            return HTTPResponse(status: .ok, contentType: .json, body: encoded)
        } catch {
            return errors.response(for: error, hook: "encodeResponse")
        }
    }

    /// ``answer(body:context:api:)`` with the stage events of the callbacks and the tracer.
    private func observedAnswer(
        body: [UInt8],
        context: RequestContext,
        api: API,
        observation: RequestObservation
    ) -> HTTPResponse {
        let input: API.Input
        let decodeStart = observation.willDecode(nil)
        do {
            let request = try LitJSON.decode(API.Request.self, from: body)
            input = try api.decodeRequest(request, context: context)
            observation.didDecode(since: decodeStart, error: nil)
        } catch {
            observation.didDecode(since: decodeStart, error: error)
            return errors.response(for: error, hook: "decodeRequest", requestID: context.requestID)
        }
        let output: API.Output
        let predictStart = observation.willPredict(batchSize: 1)
        do {
            output = try api.predict(input, context: context)
            observation.didPredict(since: predictStart, batchSize: 1, error: nil)
        } catch {
            observation.didPredict(since: predictStart, batchSize: 1, error: error)
            return errors.response(for: error, hook: "predict", requestID: context.requestID)
        }
        let encodeStart = observation.willEncode()
        do {
            let encoded = try LitJSON.encode(try api.encodeResponse(output, context: context))
            observation.didEncode(since: encodeStart, error: nil)
            return HTTPResponse(status: .ok, contentType: .json, body: encoded)
        } catch {
            observation.didEncode(since: encodeStart, error: error)
            return errors.response(for: error, hook: "encodeResponse", requestID: context.requestID)
        }
    }

    var isReady: Bool { setUpCount == loopCount }

    var isHealthy: Bool {
        guard isReady else { return false }
        return copies.allSatisfy { $0.health() }
    }

    func stop() { stopped.store(true, ordering: .relaxed) }
}
