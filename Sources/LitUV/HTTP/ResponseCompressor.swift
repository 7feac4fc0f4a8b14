import Synchronization

/// Gzips whole answers for clients that accept it, following a ``ResponseCompression`` policy. One per server run,
/// shared: a worker compresses its own answers before handing them back (so the I/O loop does not spend the
/// ~0.7 ms an 84 KiB JSON body takes at level 1), and the loop compresses the answers it makes itself. Each call
/// borrows a ``GzipEncoder`` from a small pool (zlib state is reused, never allocated per answer).
final class ResponseCompressor: Sendable {
    let policy: ResponseCompression
    /// Idle encoders. A `GzipEncoder` is not thread-safe; one is used by one thread at a time, between a take and a
    /// return under this lock.
    private let idle = Mutex<[UncheckedBox<GzipEncoder>]>([])

    init(policy: ResponseCompression) {
        self.policy = policy
    }

    /// Compresses `response` in place when it is eligible (a compressible type, long enough, not yet encoded, and
    /// smaller once compressed); otherwise leaves it as it is. Never fails an answer: a zlib error sends it as is.
    func compress(_ response: inout HTTPResponse) {
        guard !response.isGzipEncoded, response.body.count >= policy.minimumBodySize,
            ResponseCompression.isCompressible(response.contentType)
        else { return }
        guard let encoder = borrow() else { return }
        defer { idle.withLock { $0.append(encoder) } }
        if let body = policy.compressedBody(
            response.body,
            contentType: response.contentType,
            acceptsGzip: true,
            encoder: encoder.value
        ) {
            response.body = body
            response.isGzipEncoded = true
        }
    }

    private func borrow() -> UncheckedBox<GzipEncoder>? {
        if let encoder = idle.withLock({ $0.popLast() }) { return encoder }
        guard let encoder = try? GzipEncoder(level: policy.level) else { return nil }
        return UncheckedBox(encoder)
    }
}
