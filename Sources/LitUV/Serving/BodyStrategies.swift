/// How an endpoint turns a job's body into its API's `Request`. Chosen once, when the endpoint is created (by the
/// overloads of ``LitEndpoint``'s initialisers), and passed to ``PredictBatch`` as a type: the worker's code is
/// specialised for it, so a JSON endpoint pays nothing for the other kinds (docs/ARCHITECTURE.md, "Request and
/// response bodies").
@usableFromInline
protocol RequestDecoding {
    associatedtype Request
    static func decode(_ job: Job, context: RequestBodyContext) throws -> Request
}

/// A JSON body (the default).
@usableFromInline
enum JSONRequests<Request: Decodable>: RequestDecoding {
    @inlinable
    static func decode(_ job: Job, context: RequestBodyContext) throws -> Request {
        try JSONBridge.decode(Request.self, from: job.body)
    }
}

/// A ``LitRequestBody`` kind (raw bytes, a form).
@usableFromInline
enum BodyRequests<Request: LitRequestBody>: RequestDecoding {
    @inlinable
    static func decode(_ job: Job, context: RequestBodyContext) throws -> Request {
        try Request(body: job.rawBody, context: context)
    }
}

/// A `Request` whose kind was only known at run time (an endpoint created from generic code, where the overloads
/// could not see the kind): decided once per endpoint, then one dynamic cast per request.
@usableFromInline
enum DynamicRequests<Request: Decodable>: RequestDecoding {
    @inlinable
    static func decode(_ job: Job, context: RequestBodyContext) throws -> Request {
        try BodyBridge.decodeDynamic(Request.self, job: job, context: context)
    }
}

/// How an endpoint turns its API's `Response` into the answer.
@usableFromInline
protocol ResponseEncoding {
    associatedtype Response
    /// Encodes `response` and hands it to the job's loop (the path without observation).
    static func deliver(_ response: Response, to job: Job, errors: ErrorAnswers) throws
    /// Encodes `response` without handing it back yet (the observed path times the encoding alone).
    static func prepare(_ response: Response, for job: Job, errors: ErrorAnswers) throws -> PreparedAnswer
}

/// A JSON body (the default).
@usableFromInline
enum JSONResponses<Response: Encodable>: ResponseEncoding {
    @inlinable
    static func deliver(_ response: Response, to job: Job, errors: ErrorAnswers) throws {
        job.succeed(json: try JSONBridge.encode(response))
    }

    @inlinable
    static func prepare(_ response: Response, for job: Job, errors: ErrorAnswers) throws -> PreparedAnswer {
        PreparedAnswer(json: try JSONBridge.encode(response))
    }
}

/// A ``LitResponse``: status, header fields and body bytes of the API's choosing.
@usableFromInline
enum CustomResponses: ResponseEncoding {
    @inlinable
    static func deliver(_ response: LitResponse, to job: Job, errors: ErrorAnswers) throws {
        job.deliver(job.validatedAnswer(response, errors: errors))
    }

    @inlinable
    static func prepare(_ response: LitResponse, for job: Job, errors: ErrorAnswers) throws -> PreparedAnswer {
        job.validatedAnswer(response, errors: errors)
    }
}

/// A `Response` whose kind was only known at run time (see ``DynamicRequests``).
@usableFromInline
enum DynamicResponses<Response: Encodable>: ResponseEncoding {
    @inlinable
    static func deliver(_ response: Response, to job: Job, errors: ErrorAnswers) throws {
        job.deliver(try prepare(response, for: job, errors: errors))
    }

    @inlinable
    static func prepare(_ response: Response, for job: Job, errors: ErrorAnswers) throws -> PreparedAnswer {
        if let custom = response as? LitResponse { return job.validatedAnswer(custom, errors: errors) }
        return PreparedAnswer(json: try JSONBridge.encode(response))
    }
}

/// An answer made on a worker, not yet handed back (wraps the SPI ``HTTPResponse`` for `@inlinable` code).
@usableFromInline
struct PreparedAnswer {
    let response: HTTPResponse

    /// A `200` JSON answer.
    @usableFromInline
    init(json body: [UInt8]) {
        response = HTTPResponse(status: .ok, contentType: .json, body: body)
    }

    init(_ response: HTTPResponse) {
        self.response = response
    }
}

/// The non-inlinable side of the body kinds.
@usableFromInline
enum BodyBridge {
    /// Decodes a request whose type may be a ``LitRequestBody``, found out at run time.
    @usableFromInline
    static func decodeDynamic<Request: Decodable>(
        _ type: Request.Type,
        job: Job,
        context: RequestBodyContext
    ) throws -> Request {
        guard let kind = type as? any LitRequestBody.Type else {
            return try LitJSON.decode(type, from: job.body)
        }
        guard let request = try kind.init(body: job.rawBody, context: context) as? Request else {
            throw HTTPError(500, "Request kind mismatch")
        }
        return request
    }
}

extension Job {
    /// The body as a ``RawBody``: the job's own buffer (no copy), its content type and the captured header fields.
    @usableFromInline
    var rawBody: RawBody {
        RawBody(bytes: body, fields: fields, head: bodyHead)
    }

    /// The first captured header field named `lowercasedName`, or nil.
    func header(_ lowercasedName: String) -> String? {
        fields.headers.first { $0.name.lowercased() == lowercasedName }?.value
    }

    /// Worker side: an answer the API built itself, checked before it is sent: a status out of range or a bad header
    /// field is logged and answered 500 instead.
    @usableFromInline
    func validatedAnswer(_ response: LitResponse, errors: ErrorAnswers) -> PreparedAnswer {
        switch response.validated() {
        case .success(let answer):
            return PreparedAnswer(answer)
        case .failure(let problem):
            errors.logger.error(
                "\(errors.name): invalid response not sent: \(problem.message)",
                metadata: fields.id.map { ["request_id": .string($0.string)] }
            )
            return PreparedAnswer(.error(.internalServerError, "Internal server error"))
        }
    }

    /// Worker side: hands a prepared answer back, without waking the loop.
    @usableFromInline
    func deliver(_ answer: PreparedAnswer) {
        finish(answer.response, wakeLoop: false)
    }
}

extension RawBody {
    /// A request's body with what the loop captured of its head: the `Content-Type`, and the header fields as
    /// strings when the API asked for them (``LitAPI/needsRequestHeaders``), else packed until read.
    init(bytes: [UInt8], fields: RequestFields, head: RequestCapture?) {
        guard let head else {
            let contentType = fields.headers.first { $0.name.lowercased() == "content-type" }?.value
            self.init(bytes: bytes, contentType: contentType, headers: fields.headers)
            return
        }
        if fields.headers.isEmpty {
            self.init(bytes: bytes, contentType: head.contentType, packedHeaders: head.packedHeaders)
        } else {
            self.init(bytes: bytes, contentType: head.contentType, headers: fields.headers)
        }
        if let sink = head.bodySink as? MultipartBodySink { parsedForm = sink.form }
    }
}

extension LitResponse: Encodable {
    /// Not encodable as JSON: an endpoint whose API answers ``LitResponse`` sends it as it is.
    public func encode(to encoder: any Encoder) throws {
        throw EncodingError.invalidValue(
            self,
            .init(codingPath: [], debugDescription: "LitResponse is sent as it is, not encoded as JSON")
        )
    }
}
