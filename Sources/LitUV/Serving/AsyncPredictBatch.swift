/// The per-batch work of a ``LitAsyncAPI`` endpoint, inside the batch's task: decode each body, `predict(batch:)`,
/// encode each output, each answer handed to its loop at once. The same steps, errors and stage events as
/// ``PredictBatch`` (keep the two in step).
enum AsyncPredictBatch {
    /// Answers every job of `batch` exactly once (a job whose request is gone is answered too; its loop drops it).
    static func run<API: LitAsyncAPI>(_ batch: [Job], on api: API, errors: ErrorAnswers) async {
        var inputs: [API.Input] = []
        inputs.reserveCapacity(batch.count)
        var owners: [Job] = []
        owners.reserveCapacity(batch.count)
        for job in batch {
            let decodeStart = RequestObservation.willDecode(job)
            do {
                let request = try JSONBridge.decode(API.Request.self, from: job.body)
                inputs.append(try await api.decodeRequest(request, context: job.hookContext))
                RequestObservation.didDecode(job, since: decodeStart, error: nil)
                owners.append(job)
            } catch {
                RequestObservation.didDecode(job, since: decodeStart, error: error)
                job.finish(errors.response(for: error, hook: "decodeRequest", requestID: job.fields.id?.string))
            }
        }
        guard !inputs.isEmpty else { return }
        let outputs: [API.Output]
        let observed = owners[0].observation != nil
        let predictStart = observed ? RequestObservation.willPredict(owners) : 0
        do {
            outputs = try await api.predict(batch: inputs, contexts: RequestContexts(jobs: owners))
        } catch {
            if observed { RequestObservation.didPredict(owners, since: predictStart, error: error) }
            let answer = errors.response(for: error, hook: "predict", requestID: owners[0].fields.id?.string)
            for job in owners { job.finish(answer) }
            return
        }
        if observed { RequestObservation.didPredict(owners, since: predictStart, error: nil) }
        guard outputs.count == owners.count else {
            errors.logger.error(
                "\(errors.name): predict(batch:) returned \(outputs.count) outputs for \(owners.count) inputs"
            )
            let answer = HTTPResponse.error(.internalServerError, "Batch size mismatch")
            for job in owners { job.finish(answer) }
            return
        }
        for index in owners.indices {
            let job = owners[index]
            let encodeStart = RequestObservation.willEncode(job)
            do {
                let response = try await api.encodeResponse(outputs[index], context: job.hookContext)
                let body = try JSONBridge.encode(response)
                RequestObservation.didEncode(job, since: encodeStart, error: nil)
                job.finish(HTTPResponse(status: .ok, contentType: .json, body: body))
            } catch {
                RequestObservation.didEncode(job, since: encodeStart, error: error)
                job.finish(errors.response(for: error, hook: "encodeResponse", requestID: job.fields.id?.string))
            }
        }
    }
}
