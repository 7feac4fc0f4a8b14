/// A complete HTTP answer an application builds itself: any status, header fields and body bytes of any content
/// type. A middleware answers a request early with one (``MiddlewareDecision/respond(_:)``).
///
/// The server checks it before sending: a status outside 200...599, a header name that is not a token, a value with
/// a control character (CR/LF injection), a field the server manages itself (`Content-Length`, `Transfer-Encoding`,
/// `Connection`, `Date`, `Content-Encoding`, ...) or an invalid media type makes the answer a logged `500`, never
/// sent as given.
public struct LitResponse: Sendable {
    /// The status code.
    public var status: Int
    /// The media type (`Content-Type`), or nil for none.
    public var contentType: String?
    /// Extra header fields, in order.
    public var headers: [(name: String, value: String)]
    /// The body.
    public var body: [UInt8]

    /// Creates an answer.
    /// - Parameters:
    ///   - status: 200...599.
    ///   - contentType: The media type of `body`, e.g. `"image/png"`; nil sends no `Content-Type`.
    ///   - headers: Extra header fields.
    ///   - body: The body bytes.
    public init(
        status: Int = 200,
        contentType: String? = nil,
        headers: [(name: String, value: String)] = [],
        body: [UInt8] = []
    ) {
        self.status = status
        self.contentType = contentType
        self.headers = headers
        self.body = body
    }

    /// A `{"detail": ...}` JSON error, the shape of every LitUV error (and of LitServe's).
    public static func error(_ status: Int, _ detail: String, headers: [(name: String, value: String)] = []) -> Self {
        LitResponse(
            status: status,
            contentType: "application/json",
            headers: headers,
            body: HTTPResponse.detailJSON(detail)
        )
    }

    /// The response to write, or why it cannot be sent.
    func validated() -> Result<HTTPResponse, LitResponseError> {
        guard (200...599).contains(status) else {
            return .failure(LitResponseError(message: "status \(status) is not in 200...599"))
        }
        for field in headers {
            if let problem = HeaderValidation.problem(name: field.name, value: field.value) {
                return .failure(LitResponseError(message: problem))
            }
            if field.name.lowercased() == "content-type" {
                return .failure(LitResponseError(message: "set the content type with contentType, not a header"))
            }
        }
        var type = HTTPResponse.ContentType.none
        var fields = headers
        if let contentType {
            guard HeaderValidation.isValidMediaType(contentType) else {
                return .failure(LitResponseError(message: "invalid content type \"\(contentType)\""))
            }
            if contentType == "application/json" {
                type = .json
            } else {
                fields.insert(("Content-Type", contentType), at: 0)
            }
        }
        return .success(HTTPResponse(status: HTTPStatus(status), contentType: type, body: body, headers: fields))
    }
}

/// Why a ``LitResponse`` could not be sent as given (it is answered `500` and logged instead).
struct LitResponseError: Error, Sendable, CustomStringConvertible {
    let message: String
    var description: String { message }
}
