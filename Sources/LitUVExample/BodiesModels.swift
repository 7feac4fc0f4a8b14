import LitUV

/// `--model bytes`: the request body kinds beyond JSON, for scripts/body-figures and manual tries.
///
/// - `POST /predict` takes any raw body (``RawBody``) and answers `{"bytes": n, "type": "..."}`;
/// - `POST /upload` takes a `multipart/form-data` upload and answers `{"parts": n, "bytes": total}`;
/// - `POST /echo` takes a raw body and answers it back as it came (``LitResponse``, its content type kept).
enum BodiesModels {
    struct RawCount: LitAPI {
        typealias Request = RawBody
        struct Response: Encodable {
            var bytes: Int
            var type: String
        }
        func decodeRequest(_ body: RawBody) throws -> RawBody { body }
        func predict(_ body: RawBody) throws -> Response {
            Response(bytes: body.bytes.count, type: body.mediaType ?? "")
        }
        func encodeResponse(_ output: Response) throws -> Response { output }
    }

    struct UploadCount: LitAPI {
        typealias Request = MultipartForm
        struct Response: Encodable {
            var parts: Int
            var bytes: Int
        }
        func predict(_ form: MultipartForm) throws -> Response {
            Response(parts: form.parts.count, bytes: form.parts.reduce(0) { $0 + $1.body.count })
        }
        func encodeResponse(_ output: Response) throws -> Response { output }
    }

    struct Echo: LitAPI {
        typealias Request = RawBody
        typealias Response = LitResponse
        func predict(_ body: RawBody) throws -> LitResponse {
            LitResponse(contentType: body.contentType ?? "application/octet-stream", body: body.bytes)
        }
    }

    /// The endpoints of `--model bytes`, and the example commands printed at start.
    static func endpoints(maxBatchSize: Int, batchTimeout: Duration, workers: Int) -> ([LitEndpoint], [String]) {
        (
            [
                LitEndpoint(
                    RawCount(),
                    maxBatchSize: maxBatchSize,
                    batchTimeout: batchTimeout,
                    workersPerDevice: workers
                ),
                LitEndpoint(
                    UploadCount(),
                    path: "/upload",
                    maxBatchSize: maxBatchSize,
                    batchTimeout: batchTimeout,
                    workersPerDevice: workers
                ),
                LitEndpoint(Echo(), path: "/echo", workersPerDevice: workers),
            ],
            [
                "curl --data-binary @FILE -H 'Content-Type: application/octet-stream' URL/predict",
                "curl -F file=@FILE -F note=hello URL/upload",
                "curl --data-binary @cat.png -H 'Content-Type: image/png' URL/echo -o echoed.png",
            ]
        )
    }
}
