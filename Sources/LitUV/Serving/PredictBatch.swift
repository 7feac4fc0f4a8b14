/// The per-batch work of a ``LitAPI`` endpoint: decode each body, `predict(batch:)`, encode each output.
///
/// It is `@inlinable` so that it is compiled where the API's type is known: ``LitEndpoint/init(_:path:maxBatchSize:batchTimeout:workersPerDevice:devices:runsInline:)``
/// (itself `@inlinable`) wraps it in a closure in the module that creates the endpoint, and the worker calls that
/// closure. Unspecialised, every `[API.Input]` and `[API.Output]` operation looks generic metadata up at run time
/// (about 4,000 instructions per request for the square model; docs/PERFORMANCE.md). Only `@usableFromInline`
/// entry points of the worker side are used here; answers are built behind them.
@usableFromInline
enum PredictBatch {
    /// Answers every job of `batch` exactly once, without waking the jobs' loops (the worker does, see
    /// `LoopWakeups`).
    @inlinable
    static func run<API: LitAPI>(_ batch: [Job], on api: API, errors: ErrorAnswers) {
        run(
            batch,
            on: api,
            errors: errors,
            body: RequestBodyContext(),
            requests: JSONRequests<API.Request>.self,
            responses: JSONResponses<API.Response>.self
        )
    }

    /// ``run(_:on:errors:)`` with the request and response kinds chosen when the endpoint was created (JSON, a
    /// ``LitRequestBody``, a ``LitResponse``): types, so that the specialised code has no per-request choice.
    @inlinable
    static func run<API: LitAPI, Requests: RequestDecoding, Responses: ResponseEncoding>(
        _ batch: [Job],
        on api: API,
        errors: ErrorAnswers,
        body: RequestBodyContext,
        requests: Requests.Type,
        responses: Responses.Type
    ) where Requests.Request == API.Request, Responses.Response == API.Response {
        // Callbacks or tracing on: every job of the run has an observation (or none has). Without them this check
        // is all the request path pays (docs/ARCHITECTURE.md, "Callbacks").
        if batch.first?.observation != nil {
            runObserved(batch, on: api, errors: errors, body: body, requests: requests, responses: responses)
            return
        }
        var inputs: [API.Input] = []
        inputs.reserveCapacity(batch.count)
        // The jobs whose input is in `inputs`: `batch` itself until a decode fails (no array to build then).
        var survivors: [Job]? = nil
        for index in batch.indices {
            let job = batch[index]
            do {
                let request = try Requests.decode(job, context: body)
                inputs.append(try api.decodeRequest(request, context: job.hookContext))
                survivors?.append(job)
            } catch {
                job.fail(error, hook: "decodeRequest", errors: errors)
                if survivors == nil { survivors = Array(batch[..<index]) }
            }
        }
        guard !inputs.isEmpty else { return }
        let owners = survivors ?? batch
        let outputs: [API.Output]
        do {
            outputs = try api.predict(batch: inputs, contexts: RequestContexts(jobs: owners))
        } catch {
            Job.fail(owners, error, hook: "predict", errors: errors)
            return
        }
        guard outputs.count == owners.count else {
            Job.failBatchSizeMismatch(owners, outputCount: outputs.count, errors: errors)
            return
        }
        for index in owners.indices {
            do {
                let job = owners[index]
                let response = try api.encodeResponse(outputs[index], context: job.hookContext)
                try Responses.deliver(response, to: job, errors: errors)
            } catch {
                owners[index].fail(error, hook: "encodeResponse", errors: errors)
            }
        }
    }
}

/// ``LitJSON`` for `@inlinable` code (which may not name SPI declarations).
@usableFromInline
enum JSONBridge {
    @usableFromInline
    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws(JSONError) -> T {
        try LitJSON.decode(type, from: bytes)
    }

    @usableFromInline
    static func encode<T: Encodable>(_ value: T) throws(JSONError) -> [UInt8] {
        try LitJSON.encode(value)
    }
}

extension Job {
    /// Worker side: a `200` JSON answer, delivered without waking the loop.
    @usableFromInline
    func succeed(json body: [UInt8]) {
        finish(HTTPResponse(status: .ok, contentType: .json, body: body), wakeLoop: false)
    }

    /// Worker side: the answer for an error thrown by `hook`, delivered without waking the loop.
    @usableFromInline
    func fail(_ error: any Error, hook: String, errors: ErrorAnswers) {
        finish(errors.response(for: error, hook: hook, requestID: fields.id?.string), wakeLoop: false)
    }

    /// Worker side: one error answers every job of a batch.
    @usableFromInline
    static func fail(_ jobs: [Job], _ error: any Error, hook: String, errors: ErrorAnswers) {
        let answer = errors.response(for: error, hook: hook, requestID: jobs.first?.fields.id?.string)
        for job in jobs { job.finish(answer, wakeLoop: false) }
    }

    /// Worker side: `predict(batch:)` returned the wrong number of outputs; logged, and every job answered 500.
    @usableFromInline
    static func failBatchSizeMismatch(_ jobs: [Job], outputCount: Int, errors: ErrorAnswers) {
        errors.logger.error(
            "\(errors.name): predict(batch:) returned \(outputCount) outputs for \(jobs.count) inputs"
        )
        let answer = HTTPResponse.error(.internalServerError, "Batch size mismatch")
        for job in jobs { job.finish(answer, wakeLoop: false) }
    }
}
