import LitUV

/// An error answered in OpenAI's shape:
/// `{"error":{"message":"...","type":"invalid_request_error","param":"temperature","code":null}}`.
///
/// The OpenAI endpoints throw it for invalid requests (400); throw it from your own hooks on those endpoints to
/// choose the status, type and `param` the client sees. An `HTTPError` thrown there is answered in the same shape
/// with a type derived from its status.
public struct OpenAIError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The HTTP status (400...599).
    public var status: Int
    /// A message safe to show to the client.
    public var message: String
    /// OpenAI's error type: `invalid_request_error`, `authentication_error`, `not_found_error`, `server_error`, ...
    public var type: String
    /// The request parameter at fault, e.g. `messages[0].role`, or nil.
    public var param: String?
    /// A machine-readable code, or nil.
    public var code: String?

    /// Creates an error.
    /// - Parameters:
    ///   - status: The HTTP status; values outside 400...599 are sent as 500.
    ///   - message: A message safe to show to the client.
    ///   - type: OpenAI's error type.
    ///   - param: The request parameter at fault.
    ///   - code: A machine-readable code.
    public init(
        status: Int = 400,
        message: String,
        type: String = "invalid_request_error",
        param: String? = nil,
        code: String? = nil
    ) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
    }

    /// A 400 `invalid_request_error` about `param`.
    /// - Parameters:
    ///   - message: What is wrong.
    ///   - param: The request parameter at fault.
    /// - Returns: The error.
    public static func invalidRequest(_ message: String, param: String? = nil) -> OpenAIError {
        OpenAIError(status: 400, message: message, param: param)
    }

    /// `Invalid type for 'param': expected <expected>.`
    package static func invalidType(_ param: String, expected: String) -> OpenAIError {
        .invalidRequest("Invalid type for '\(param)': expected \(expected).", param: param)
    }

    /// `Missing required parameter: 'param'.`
    package static func missing(_ param: String) -> OpenAIError {
        .invalidRequest("Missing required parameter: '\(param)'.", param: param)
    }

    /// `Invalid value for 'param': <reason>`
    package static func invalidValue(_ param: String, _ reason: String) -> OpenAIError {
        .invalidRequest("Invalid value for '\(param)': \(reason)", param: param)
    }

    /// `The request body must be a JSON object.` at the top level, else `Invalid type for 'path': expected …`.
    package static func notAnObject(at path: String, expected: String) -> OpenAIError {
        if path.isEmpty { return .invalidRequest("The request body must be a JSON object.") }
        return .invalidType(path, expected: expected)
    }

    public var description: String { "OpenAI error \(status) (\(type)): \(message)" }

    /// The error's JSON body.
    public var body: [UInt8] {
        var json = JSONBytes()
        json.raw(#"{"error":{"message":"#)
        json.string(message)
        json.raw(#","type":"#)
        json.string(type)
        json.raw(#","param":"#)
        json.optionalString(param)
        json.raw(#","code":"#)
        json.optionalString(code)
        json.raw("}}")
        return json.bytes
    }

    /// The status actually sent: `status` when it is an error status, else 500.
    var wireStatus: Int { (400...599).contains(status) ? status : 500 }

    /// OpenAI's error type for an HTTP status.
    static func type(forStatus status: Int) -> String {
        switch status {
        case 401: "authentication_error"
        case 403: "permission_error"
        case 404: "not_found_error"
        case 409: "conflict_error"
        case 422: "unprocessable_entity_error"
        case 429: "rate_limit_error"
        case 400..<500: "invalid_request_error"
        default: "server_error"
        }
    }

    /// The OpenAI-shaped answer for an error thrown while handling a request on an OpenAI endpoint, or nil for
    /// errors that get the server's default answer (unknown errors: logged, then 500 without their message).
    static func answer(for error: any Error) -> (status: Int, body: [UInt8])? {
        if let error = error as? OpenAIError {
            return (error.wireStatus, error.body)
        }
        if let error = error as? HTTPError {
            let status = (400...599).contains(error.status) ? error.status : 500
            let converted = OpenAIError(status: status, message: error.detail, type: type(forStatus: status))
            return (status, converted.body)
        }
        if let error = error as? JSONError {
            let converted = OpenAIError.invalidRequest(
                "We could not parse the JSON body of your request: \(error.description)"
            )
            return (400, converted.body)
        }
        return nil
    }
}

extension OpenAIError: JSONFieldFailure {}

/// Reads request fields, answering OpenAI's error shape for invalid ones.
typealias RequestReader = JSONObjectReader<OpenAIError>
