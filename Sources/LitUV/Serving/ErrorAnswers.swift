import Logging

/// Maps errors thrown by hooks to answers: ``HTTPError`` keeps its status and detail, a ``JSONError`` from decoding
/// the body is 400, anything else is logged and answered 500 without its message.
@usableFromInline
struct ErrorAnswers: Sendable {
    let name: String
    let logger: Logger

    /// - Parameter requestID: The request's id, logged as `request_id` metadata.
    func response(for error: any Error, hook: String, requestID: String? = nil) -> HTTPResponse {
        if let httpError = error as? HTTPError {
            let status = (400...599).contains(httpError.status) ? httpError.status : 500
            return .error(HTTPStatus(status), httpError.detail)
        }
        if let jsonError = error as? JSONError {
            return .error(.badRequest, "Invalid request body: \(jsonError.description)")
        }
        logger.error("\(name).\(hook) failed: \(error)", metadata: requestID.map { ["request_id": .string($0)] })
        return .error(.internalServerError, "Internal server error")
    }
}
