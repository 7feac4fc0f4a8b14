import Synchronization

/// An endpoint's ``LitAPI/authorize(_:)``, run on the I/O loop at head time. An API that does not implement it
/// (the default throws a marker) is noticed on its first request, and from then on the server neither builds a
/// context for it nor calls it: an endpoint without `authorize` costs nothing per request.
final class Authorizer: Sendable {
    private let check: @Sendable (RequestContext) throws -> Void
    private let errors: ErrorAnswers
    private let notImplemented = Atomic<Bool>(false)

    init(check: @escaping @Sendable (RequestContext) throws -> Void, errors: ErrorAnswers) {
        self.check = check
        self.errors = errors
    }

    /// False once the API turned out not to implement `authorize`.
    var isActive: Bool { !notImplemented.load(ordering: .relaxed) }

    /// Nil when the request may be served, else the refusal: the ``HTTPError``'s status and detail, or a logged 500
    /// for any other error.
    func refusal(for context: RequestContext) -> HTTPResponse? {
        do {
            try check(context)
            return nil
        } catch is AuthorizeNotImplemented {
            notImplemented.store(true, ordering: .relaxed)
            return nil
        } catch {
            return errors.response(for: error, hook: "authorize")
        }
    }
}
