/// The contexts of a batch's requests, in the order of its inputs: `contexts[i]` belongs to `inputs[i]`. Each
/// context is made when it is read, so a batch whose hooks never look costs nothing.
public struct RequestContexts: RandomAccessCollection, Sendable {
    @usableFromInline
    enum Storage: Sendable {
        case jobs([Job])
        case contexts([RequestContext])
    }

    @usableFromInline let storage: Storage

    @usableFromInline
    init(jobs: [Job]) { storage = .jobs(jobs) }

    /// Contexts given one by one (for tests of batch hooks).
    public init(_ contexts: [RequestContext]) { storage = .contexts(contexts) }

    public var startIndex: Int { 0 }

    public var endIndex: Int {
        switch storage {
        case .jobs(let jobs): jobs.count
        case .contexts(let contexts): contexts.count
        }
    }

    public subscript(position: Int) -> RequestContext {
        switch storage {
        case .jobs(let jobs): jobs[position].hookContext
        case .contexts(let contexts): contexts[position]
        }
    }

    private static let currentBatch = ThreadLocal<RequestContexts>()

    /// The contexts of the batch this thread is predicting, for the default ``LitAPI/predict(batch:)`` that hands
    /// each input its context.
    static var current: RequestContexts? { currentBatch.value }

    static func withCurrent<R>(_ contexts: RequestContexts, _ body: () throws -> R) throws -> R {
        try currentBatch.withValue(contexts) { () throws -> R in try body() }
    }
}
