/// Limits on a form body, checked as the body is parsed; going over one is a 413 ``FormError``.
///
/// For `multipart/form-data` every limit applies; for `application/x-www-form-urlencoded`, `maxTotalBytes` bounds
/// the body, `maxParts` the number of fields and `maxFieldBytes` each decoded name and value.
public struct FormLimits: Sendable, Hashable {
    /// The most parts (multipart) or fields (urlencoded) in one body. Default 128.
    public var maxParts: Int
    /// The most bytes in one part's body (a file). Default 16 MiB.
    public var maxPartBytes: Int
    /// The most bytes in one part's header block, line endings included. Default 8 KiB.
    public var maxPartHeaderBytes: Int
    /// The most bytes in the whole body (preamble and epilogue included). Default 64 MiB.
    public var maxTotalBytes: Int
    /// The most bytes in the body of a part without a filename (a text field), or in a decoded urlencoded name or
    /// value. Default 1 MiB.
    public var maxFieldBytes: Int

    /// Creates limits; every argument has the documented default.
    /// - Parameters:
    ///   - maxParts: The most parts or fields in one body.
    ///   - maxPartBytes: The most bytes in one part's body.
    ///   - maxPartHeaderBytes: The most bytes in one part's header block.
    ///   - maxTotalBytes: The most bytes in the whole body.
    ///   - maxFieldBytes: The most bytes in a field that is not a file.
    public init(
        maxParts: Int = 128,
        maxPartBytes: Int = 16 << 20,
        maxPartHeaderBytes: Int = 8 << 10,
        maxTotalBytes: Int = 64 << 20,
        maxFieldBytes: Int = 1 << 20
    ) {
        self.maxParts = maxParts
        self.maxPartBytes = maxPartBytes
        self.maxPartHeaderBytes = maxPartHeaderBytes
        self.maxTotalBytes = maxTotalBytes
        self.maxFieldBytes = maxFieldBytes
    }
}
