/// `multipart/form-data` (RFC 7578) as a request kind: `typealias Request = MultipartForm`.
///
/// The `Content-Type` is checked before the body is read: another media type is a `415`, a missing or invalid
/// `boundary` a `400`. The body is parsed with ``MultipartParser`` under the endpoint's ``LitEndpoint/formLimits`` on
/// the I/O loop, slice by slice as it arrives (it is never held whole): a malformed body is a `400`, one over a limit
/// a `413`, each with the reason, answered as soon as the slice that shows it arrives.
extension MultipartForm: LitRequestBody {
    /// `multipart/form-data`.
    public static var acceptedMediaTypes: [String] { ["multipart/form-data"] }

    /// `415` for another media type, `400` when the `boundary` is missing or invalid.
    public static func refusal(contentType: String?) -> HTTPError? {
        guard let contentType, let type = MediaType(contentType), type.essence == "multipart/form-data" else {
            let sent = contentType.map { "\"\(RawBody.mediaType(of: $0))\"" } ?? "no Content-Type"
            return HTTPError(415, "Unsupported Media Type: got \(sent), expected multipart/form-data")
        }
        do {
            _ = try MultipartParser(contentType: type)
        } catch {
            return HTTPError(error.status, error.detail)
        }
        return nil
    }

    /// Parses the body under the endpoint's limits.
    /// - Throws: ``HTTPError`` 400 (malformed) or 413 (over a limit), from the parser's ``FormError``.
    public init(body: RawBody, context: RequestBodyContext) throws {
        if let form = body.parsedForm {
            self = form  // parsed on the I/O loop as the body arrived
            return
        }
        guard let type = body.contentType.flatMap({ MediaType($0) }) else {
            throw HTTPError(415, "Unsupported Media Type: expected multipart/form-data")
        }
        do throws(FormError) {
            var parser = try MultipartParser(contentType: type, limits: context.formLimits)
            // One call over the whole body (a closure that throws a typed error crashes this compiler's IRGen).
            let failure: FormError? = body.bytes.withUnsafeBytes { bytes in
                do throws(FormError) {
                    try parser.parse(bytes)
                    return nil
                } catch {
                    return error
                }
            }
            if let failure { throw failure }
            self = try parser.finish()
        } catch {
            throw HTTPError(error.status, error.detail)
        }
    }
}

/// `application/x-www-form-urlencoded` as a request kind: `typealias Request = URLEncodedForm`.
///
/// Another media type is a `415` before the body is read; a bad escape or invalid UTF-8 is a `400`, a body over the
/// endpoint's ``LitEndpoint/formLimits`` a `413`.
extension URLEncodedForm: LitRequestBody {
    /// `application/x-www-form-urlencoded`.
    public static var acceptedMediaTypes: [String] { ["application/x-www-form-urlencoded"] }

    /// Parses the body under the endpoint's limits.
    /// - Throws: ``HTTPError`` 400 (malformed) or 413 (over a limit), from the parser's ``FormError``.
    public init(body: RawBody, context: RequestBodyContext) throws {
        let parsed: Result<URLEncodedForm, FormError> = body.bytes.withUnsafeBytes { bytes in
            do throws(FormError) {
                return .success(try URLEncodedForm(parsing: bytes, limits: context.formLimits))
            } catch {
                return .failure(error)
            }
        }
        switch parsed {
        case .success(let form): self = form
        case .failure(let error): throw HTTPError(error.status, error.detail)
        }
    }
}
