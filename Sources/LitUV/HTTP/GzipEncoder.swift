import CZlib

// Response compression: the one file of LitUV that talks to zlib. Every zlib pointer, status code and the
// `z_stream` itself live here; the policy (`ResponseCompression`) and the `Accept-Encoding` reader only see bytes.

/// A zlib compression level for gzip response bodies.
///
/// Level 1 is the default for responses: on an 84 KiB embedding-like JSON body it takes about a sixth of level 6's
/// time for an output 13% larger (docs/PERFORMANCE.md, "Response compression").
public struct GzipLevel: Sendable, Hashable, CustomStringConvertible {
    /// zlib's level, 1 (fastest) through 9 (smallest output).
    public let value: Int

    /// A level from 1 (fastest) to 9 (smallest output).
    /// - Parameter value: The zlib level.
    /// - Returns: `nil` when `value` is outside 1...9 (0, "store only", is not a compression level).
    public init?(_ value: Int) {
        guard (1...9).contains(value) else { return nil }
        self.value = value
    }

    private init(checked value: Int) { self.value = value }

    /// Level 1: the fastest; LitUV's default for responses.
    public static let fastest = GzipLevel(checked: 1)
    /// Level 6: zlib's default (`Z_DEFAULT_COMPRESSION`), gzip's and nginx's balance.
    public static let balanced = GzipLevel(checked: 6)
    /// Level 9: the smallest output (Python's `gzip` and Starlette's `GZipMiddleware` default).
    public static let smallest = GzipLevel(checked: 9)

    /// `gzip level N`.
    public var description: String { "gzip level \(value)" }
}

/// A zlib failure while compressing a response body. The caller sends the body uncompressed; nothing crashes.
@_spi(Benchmarks) public struct GzipError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What the encoder was doing.
    public enum Operation: Sendable, Hashable {
        /// `deflateInit2` (allocating the stream's state: `Z_MEM_ERROR` when memory is short).
        case initialize
        /// `deflate` over one body.
        case compress
        /// `deflateReset` before the next body.
        case reset
    }

    /// What the encoder was doing.
    public let operation: Operation
    /// zlib's status code (`Z_MEM_ERROR`, `Z_STREAM_ERROR`, `Z_BUF_ERROR`, ...).
    public let status: Int32
    /// zlib's message for the stream, or a description of the status when zlib gave none.
    public let message: String

    /// `gzip OPERATION: MESSAGE (zlib status N)`.
    public var description: String { "gzip \(operation): \(message) (zlib status \(status))" }
}

/// Compresses whole response bodies into gzip members (RFC 1952) with one zlib stream, reset between bodies.
///
/// **Confinement.** An encoder is not `Sendable`: it holds one `z_stream`, and two compressions must never run on it
/// at once. Give each thread that compresses its own encoder, owned by that thread for the encoder's whole life:
/// one per I/O loop (loop-confined, beside the loop's other per-loop state) or one per worker thread
/// (worker-confined, created in the worker before its first job). Nothing in the encoder checks the thread.
///
/// **Allocation.** `init` allocates zlib's state once (about 260 KiB with window bits 15 and memory level 8: the
/// 64 KiB window, the hash chains and the pending buffer). Each body then costs a `deflateReset` (no allocation) and
/// one output allocation for the `[UInt8]` forms; ``compress(_:appendingTo:)`` writes into a caller's reusable
/// buffer and allocates nothing once that buffer is large enough.
///
/// **Output.** One gzip member: a 10-byte header (no name, no modification time, OS 3 "Unix"), the deflate
/// stream and the CRC-32 and length trailer. The same input and level give the same bytes on every call, so an
/// encoder's output does not depend on what it compressed before.
@_spi(Benchmarks) public final class GzipEncoder {
    /// The compression level every body is compressed at.
    public let level: GzipLevel
    /// zlib's stream. Heap-allocated: zlib keeps a pointer back to it (`strm->state->strm`), so it must not move.
    private let stream: UnsafeMutablePointer<z_stream>
    /// Set when `deflateReset` failed after the last body; the next body retries the reset first (`ensureReset`).
    private var resetFailure: GzipError?

    /// 15 window bits (32 KiB window, the most) + 16: write a gzip header and trailer instead of zlib's.
    private static let gzipWindowBits: Int32 = 15 + 16
    /// zlib's default memory level (8): a 64 KiB hash table and 64 KiB of pending output.
    private static let memoryLevel: Int32 = 8

    /// Creates an encoder and allocates its zlib state (once for the encoder's life).
    /// - Parameter level: The compression level for every body (default ``GzipLevel/fastest``).
    /// - Throws: ``GzipError`` (`.initialize`) when zlib cannot allocate its state.
    public init(level: GzipLevel = .fastest) throws(GzipError) {
        self.level = level
        stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())  // zalloc, zfree and opaque nil: zlib's malloc and free
        let status = CZlib_deflateInit2(
            stream,
            Int32(level.value),
            Self.gzipWindowBits,
            Self.memoryLevel,
            Z_DEFAULT_STRATEGY
        )
        guard status == Z_OK else {
            let error = Self.error(.initialize, status, stream)
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw error
        }
    }

    deinit {
        deflateEnd(stream)  // frees zlib's state; Z_DATA_ERROR for a stream left mid-body is harmless here
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// An upper bound on the compressed size of `count` bytes (zlib's `deflateBound` for this stream, with the gzip
    /// header and trailer): the room ``compress(_:appendingTo:)`` reserves.
    /// - Parameter count: The body's length in bytes (a negative count counts as 0).
    /// - Returns: The most bytes the gzip member can take.
    public func maximumCompressedCount(for count: Int) -> Int {
        Int(clamping: deflateBound(stream, UInt(max(0, count))))
    }

    /// Compresses `body` into one gzip member.
    /// - Parameter body: The whole body (may be empty: the result is then a 20-byte member).
    /// - Returns: The gzip member, in an array of exactly its size.
    /// - Throws: ``GzipError`` when zlib reports an error; the encoder stays usable (it is reset after every body).
    public func compress(_ body: UnsafeRawBufferPointer) throws(GzipError) -> [UInt8] {
        try ensureReset()
        let bound = maximumCompressedCount(for: body.count)
        var failure: GzipError?
        let output = [UInt8](unsafeUninitializedCapacity: bound) { buffer, initializedCount in
            do throws(GzipError) {
                initializedCount = try deflateWhole(body, into: UnsafeMutableRawBufferPointer(buffer))
            } catch {
                failure = error
                initializedCount = 0
            }
        }
        if let failure { throw failure }
        return output
    }

    /// Compresses `body` into one gzip member.
    /// - Parameter body: The whole body.
    /// - Returns: The gzip member.
    /// - Throws: ``GzipError`` when zlib reports an error.
    public func compress(_ body: [UInt8]) throws(GzipError) -> [UInt8] {
        var result: Result<[UInt8], GzipError> = .success([])
        body.withUnsafeBytes { bytes in
            do throws(GzipError) {
                result = .success(try compress(bytes))
            } catch {
                result = .failure(error)
            }
        }
        return try result.get()
    }

    /// Compresses `body` into one gzip member appended to `buffer`: no allocation once `buffer` has room for
    /// ``maximumCompressedCount(for:)`` more bytes.
    /// - Parameters:
    ///   - body: The whole body.
    ///   - buffer: Receives the member after its current bytes; on a thrown error it is left as it was.
    /// - Returns: The number of bytes appended.
    /// - Throws: ``GzipError`` when zlib reports an error.
    @discardableResult
    public func compress(
        _ body: UnsafeRawBufferPointer,
        appendingTo buffer: inout ByteBuffer
    ) throws(GzipError) -> Int {
        try ensureReset()
        let bound = maximumCompressedCount(for: body.count)
        var failure: GzipError?
        let written = buffer.appendInPlace(maxCount: bound) { room in
            do throws(GzipError) {
                return try deflateWhole(body, into: room)
            } catch {
                failure = error
                return 0
            }
        }
        if let failure { throw failure }
        return written
    }

    /// Runs one whole body through the stream into `output` (sized by `deflateBound`); returns the bytes written.
    ///
    /// `avail_in` and `avail_out` are 32-bit, so a body over 4 GiB is fed in pieces with `Z_NO_FLUSH` (for which
    /// zlib's bound still holds) and the last piece with `Z_FINISH`.
    private func deflateWhole(
        _ input: UnsafeRawBufferPointer,
        into output: UnsafeMutableRawBufferPointer
    ) throws(GzipError) -> Int {
        defer { resetStream() }
        let piece = Int(UInt32.max)
        var nextIn = input.baseAddress?.assumingMemoryBound(to: Bytef.self)
        var inLeft = input.count
        var nextOut = output.baseAddress?.assumingMemoryBound(to: Bytef.self)
        var outLeft = output.count
        while true {
            let inPiece = min(inLeft, piece)
            let outPiece = min(outLeft, piece)
            stream.pointee.next_in = nextIn
            stream.pointee.avail_in = UInt32(inPiece)
            stream.pointee.next_out = nextOut
            stream.pointee.avail_out = UInt32(outPiece)
            let status = deflate(stream, inPiece == inLeft ? Z_FINISH : Z_NO_FLUSH)
            let consumed = inPiece - Int(stream.pointee.avail_in)
            let produced = outPiece - Int(stream.pointee.avail_out)
            inLeft -= consumed
            outLeft -= produced
            nextIn = nextIn.map { $0 + consumed }
            nextOut = nextOut.map { $0 + produced }
            stream.pointee.next_in = nil  // no dangling pointers into the caller's buffers
            stream.pointee.next_out = nil
            switch status {
            case Z_STREAM_END:
                return output.count - outLeft
            case Z_OK, Z_BUF_ERROR:
                // Z_BUF_ERROR: no progress was possible. With a deflateBound-sized output that cannot happen; if it
                // ever does, stop rather than loop.
                guard consumed > 0 || produced > 0 else {
                    throw GzipError(
                        operation: .compress,
                        status: status,
                        message: "no progress (output room \(outLeft) of \(output.count) bytes)"
                    )
                }
            default:
                throw Self.error(.compress, status, stream)
            }
        }
    }

    /// Readies the stream for the next body right after each one, so that `deflateBound` sees a fresh stream (after
    /// a finished gzip member zlib counts only a 6-byte wrapper).
    private func resetStream() {
        let status = deflateReset(stream)
        resetFailure = status == Z_OK ? nil : Self.error(.reset, status, stream)
    }

    /// Retries a reset that failed after the last body (it never does unless zlib's state is damaged); throws if it
    /// fails again.
    private func ensureReset() throws(GzipError) {
        guard resetFailure != nil else { return }
        resetStream()
        if let resetFailure { throw resetFailure }
    }

    /// A ``GzipError`` with zlib's message for the stream, if it set one.
    private static func error(
        _ operation: GzipError.Operation,
        _ status: Int32,
        _ stream: UnsafeMutablePointer<z_stream>
    ) -> GzipError {
        let message: String
        if let text = stream.pointee.msg {
            message = String(cString: text)
        } else {
            message = String(cString: zError(status))
        }
        return GzipError(operation: operation, status: status, message: message)
    }
}
