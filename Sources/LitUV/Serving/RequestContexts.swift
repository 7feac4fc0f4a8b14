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

    @inlinable
    public var startIndex: Int { 0 }

    @inlinable
    public var endIndex: Int {
        switch storage {
        case .jobs(let jobs): jobs.count
        case .contexts(let contexts): contexts.count
        }
    }

    @inlinable
    public subscript(position: Int) -> RequestContext {
        switch storage {
        case .jobs(let jobs): jobs[position].hookContext
        case .contexts(let contexts): contexts[position]
        }
    }

    /// This thread's current batch: a pointer to the `RequestContexts` that ``withCurrent(_:_:)`` holds on its
    /// stack for the duration of its call.
    private static let currentBatch = ThreadLocalPointer()

    /// The contexts of the batch this thread is predicting, for the default ``LitAPI/predict(batch:)`` that hands
    /// each input its context.
    @usableFromInline
    static var current: RequestContexts? {
        currentBatch.value?.assumingMemoryBound(to: RequestContexts.self).pointee
    }

    @usableFromInline
    static func exchangeCurrent(_ pointer: UnsafeRawPointer?) -> UnsafeRawPointer? {
        currentBatch.exchange(pointer)
    }

    /// Runs `body` with `contexts` as this thread's current batch (restoring the previous one after).
    @inlinable
    static func withCurrent<R>(_ contexts: RequestContexts, _ body: () throws -> R) rethrows -> R {
        try withUnsafePointer(to: contexts) { pointer in
            let previous = exchangeCurrent(UnsafeRawPointer(pointer))
            defer { _ = exchangeCurrent(previous) }
            return try body()
        }
    }
}
