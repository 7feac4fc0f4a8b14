/// Takes a request's body on the I/O loop as it arrives, slice by slice, instead of the connection collecting it into
/// one array: a route that parses its body on the way in (``RequestCapture/bodySink``). Loop thread only while the
/// body is read; the request's worker reads the result after the connection dispatched the request.
protocol HTTPBodySink: AnyObject, Sendable {
    /// Takes the next slice of the body (the bytes are not kept).
    /// - Returns: An answer that refuses the request at once (the rest of the body is dropped unread by the sink), or
    ///   nil to go on.
    func consume(_ bytes: UnsafeRawBufferPointer) -> HTTPResponse?

    /// The body ended.
    /// - Returns: An answer that refuses the request, or nil when the result is complete and the request goes on.
    func finish() -> HTTPResponse?
}

/// A `multipart/form-data` body parsed as it arrives (``MultipartParser``): the body is never held whole, only its
/// parts; a malformed body (`400`) or one over a limit (`413`) is answered at the slice that shows it (the rest of
/// the body is then read and dropped).
///
/// `@unchecked Sendable`: the loop thread alone feeds it and calls ``finish()``; ``form`` is read on the worker only
/// after the request was dispatched, which the job queue orders after the loop's last write.
final class MultipartBodySink: HTTPBodySink, @unchecked Sendable {
    private var parser: MultipartParser
    /// The parsed form, once ``finish()`` succeeded.
    private(set) var form: MultipartForm?

    /// A sink for a body of this `Content-Type`.
    /// - Parameters:
    ///   - contentType: The request's parsed `Content-Type` (`multipart/form-data` with a boundary).
    ///   - limits: The endpoint's limits.
    ///   - expectedBodyLength: The request's `Content-Length`, when it has one.
    /// - Throws: ``FormError`` 400 for a type without a valid boundary.
    init(contentType: MediaType, limits: FormLimits, expectedBodyLength: Int?) throws(FormError) {
        parser = try MultipartParser(
            contentType: contentType,
            limits: limits,
            expectedBodyLength: expectedBodyLength
        )
    }

    func consume(_ bytes: UnsafeRawBufferPointer) -> HTTPResponse? {
        do throws(FormError) {
            try parser.parse(bytes)
            return nil
        } catch {
            return Self.answer(error)
        }
    }

    func finish() -> HTTPResponse? {
        do throws(FormError) {
            form = try parser.finish()
            return nil
        } catch {
            return Self.answer(error)
        }
    }

    private static func answer(_ error: FormError) -> HTTPResponse {
        let status = (400...599).contains(error.status) ? error.status : 400
        return .error(HTTPStatus(status), error.detail)
    }
}
