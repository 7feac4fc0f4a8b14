import LitUV

/// An error answered in the Open Inference Protocol's shape, `{"error": "..."}`, with an HTTP status.
///
/// The inference endpoints throw it for invalid requests (400) and failed predictions (500); throw it from your own
/// ``LitInferenceModel`` hooks to choose the status and message the client sees. An `HTTPError` thrown there is
/// answered in the same shape with its status and detail.
public struct InferenceError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The HTTP status (400...599).
    public var status: Int
    /// A message safe to show to the client.
    public var message: String

    /// An error.
    /// - Parameters:
    ///   - status: The HTTP status; values outside 400...599 are sent as 500.
    ///   - message: A message safe to show to the client.
    public init(status: Int = 400, _ message: String) {
        self.status = status
        self.message = message
    }

    /// A 400 about the request.
    /// - Parameter message: What is wrong.
    /// - Returns: The error.
    public static func invalidRequest(_ message: String) -> InferenceError {
        InferenceError(status: 400, message)
    }

    /// A 500 about what the model produced.
    /// - Parameter message: What is wrong.
    /// - Returns: The error.
    public static func modelFailure(_ message: String) -> InferenceError {
        InferenceError(status: 500, message)
    }

    public var description: String { "Open Inference error \(status): \(message)" }

    /// The error's JSON body, `{"error":"..."}`.
    public var body: [UInt8] { Self.body(message) }

    /// `{"error":"<message>"}`.
    static func body(_ message: String) -> [UInt8] {
        var json = JSONBytes(capacity: 16 + message.utf8.count)
        json.raw(#"{"error":"#)
        json.string(message)
        json.raw("}")
        return json.bytes
    }

    /// The status actually sent: `status` when it is an error status, else 500.
    var wireStatus: Int { (400...599).contains(status) ? status : 500 }

    /// The protocol-shaped answer for an error thrown while handling an inference request, or nil for errors that
    /// get the server's default answer (unknown errors: logged, then 500 `Internal server error`, which the
    /// endpoint's error shape still words as `{"error": ...}`).
    static func answer(for error: any Error) -> (status: Int, body: [UInt8])? {
        if let error = error as? InferenceError {
            return (error.wireStatus, error.body)
        }
        if let error = error as? HTTPError {
            let status = (400...599).contains(error.status) ? error.status : 500
            return (status, body(error.detail))
        }
        if let error = error as? JSONError {
            return (400, body("failed to parse the request JSON: \(error.description)"))
        }
        return nil
    }
}
