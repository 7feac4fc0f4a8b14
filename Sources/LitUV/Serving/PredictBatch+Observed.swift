extension PredictBatch {
    /// ``run(_:on:errors:)`` with the callbacks' and the tracer's stage events (``RequestObservation``): the same
    /// steps, each framed by its "will" and "did" event. Kept apart so that the path without observation stays
    /// exactly the plain one; the events themselves are not inlinable. Keep the two in step.
    @inlinable
    static func runObserved<API: LitAPI, Requests: RequestDecoding, Responses: ResponseEncoding>(
        _ batch: [Job],
        on api: API,
        errors: ErrorAnswers,
        body: RequestBodyContext,
        requests: Requests.Type,
        responses: Responses.Type
    ) where Requests.Request == API.Request, Responses.Response == API.Response {
        var inputs: [API.Input] = []
        inputs.reserveCapacity(batch.count)
        var survivors: [Job]? = nil
        for index in batch.indices {
            let job = batch[index]
            let decodeStart = RequestObservation.willDecode(job)
            do {
                let request = try Requests.decode(job, context: body)
                inputs.append(try api.decodeRequest(request, context: job.hookContext))
                RequestObservation.didDecode(job, since: decodeStart, error: nil)
                survivors?.append(job)
            } catch {
                RequestObservation.didDecode(job, since: decodeStart, error: error)
                job.fail(error, hook: "decodeRequest", errors: errors)
                if survivors == nil { survivors = Array(batch[..<index]) }
            }
        }
        guard !inputs.isEmpty else { return }
        let owners = survivors ?? batch
        let outputs: [API.Output]
        let predictStart = RequestObservation.willPredict(owners)
        do {
            outputs = try api.predict(batch: inputs, contexts: RequestContexts(jobs: owners))
        } catch {
            RequestObservation.didPredict(owners, since: predictStart, error: error)
            Job.fail(owners, error, hook: "predict", errors: errors)
            return
        }
        RequestObservation.didPredict(owners, since: predictStart, error: nil)
        guard outputs.count == owners.count else {
            Job.failBatchSizeMismatch(owners, outputCount: outputs.count, errors: errors)
            return
        }
        for index in owners.indices {
            let job = owners[index]
            let encodeStart = RequestObservation.willEncode(job)
            do {
                let response = try api.encodeResponse(outputs[index], context: job.hookContext)
                let answer = try Responses.prepare(response, for: job, errors: errors)
                RequestObservation.didEncode(job, since: encodeStart, error: nil)
                job.deliver(answer)
            } catch {
                RequestObservation.didEncode(job, since: encodeStart, error: error)
                job.fail(error, hook: "encodeResponse", errors: errors)
            }
        }
    }
}
