/// Why a form body (`multipart/form-data` or `application/x-www-form-urlencoded`) was refused: the HTTP status to
/// answer and a detail fit to show the client.
///
/// `status` is 400 for a malformed body (a bad boundary, a missing final boundary, a bad escape, invalid UTF-8, a
/// part without a name) and 413 for a body over one of the ``FormLimits``.
public struct FormError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The HTTP status to answer: 400 (malformed) or 413 (over a limit).
    public var status: Int
    /// What is wrong, in words fit for the client (it never quotes more than a short name from the body).
    public var detail: String

    /// Creates an error with the given status and detail.
    /// - Parameters:
    ///   - status: The HTTP status to answer (400 or 413).
    ///   - detail: What is wrong, fit for the client.
    public init(status: Int, detail: String) {
        self.status = status
        self.detail = detail
    }

    /// `status detail`, e.g. `400 multipart body has no final boundary`.
    public var description: String { "\(status) \(detail)" }

    /// A malformed body (400).
    static func malformed(_ detail: String) -> FormError { FormError(status: 400, detail: detail) }

    /// A body over a limit (413).
    static func tooLarge(_ detail: String) -> FormError { FormError(status: 413, detail: detail) }
}
