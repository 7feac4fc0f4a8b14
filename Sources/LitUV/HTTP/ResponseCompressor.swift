/// Gzips the bodies of answers whose clients accept it (``ResponseDecoration/compress``). One per I/O loop (loop
/// thread only).
final class ResponseCompressor {
    /// Compresses `response` in place when it is eligible.
    func compress(_ response: inout HTTPResponse) {
        // Wired to the gzip encoder in the next step.
    }
}
