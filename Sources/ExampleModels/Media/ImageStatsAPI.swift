import LitUV

/// `--model image-stats`: upload an image (PNG or Netpbm) in the `multipart/form-data` field `file`, get its
/// ``ImageStatistics`` as JSON.
///
/// ```bash
/// curl -F file=@cat.png http://127.0.0.1:8000/predict
/// ```
///
/// The image is decoded in ``decodeRequest(_:)`` on the predict worker, so a bad file answers only its own request:
/// no `file` field 400, an unknown format 415, a corrupt or truncated file 400 (for PNG with libpng's message), an
/// image over ``limits`` 413. Batches (`maxBatchSize` above 1) reach ``predict(batch:)`` as arrays of images.
public struct ImageStatsAPI: LitAPI {
    /// The form: the image is the part named `file`.
    public typealias Request = MultipartForm
    /// The statistics, as JSON.
    public typealias Response = ImageStatistics

    /// The form field that carries the image.
    public static let fieldName = "file"

    /// The largest image decoded.
    public var limits: ImageLimits

    /// Creates the model.
    /// - Parameter limits: The largest image decoded (default 64 Mpx).
    public init(limits: ImageLimits = ImageLimits()) {
        self.limits = limits
    }

    /// Decodes the image of the form's `file` part.
    /// - Throws: ``HTTPError``: 400 without a `file` part or for a bad file, 413 for too many pixels, 415 for a
    ///   format that is neither PNG nor Netpbm.
    public func decodeRequest(_ form: MultipartForm) throws -> DecodedImage {
        guard let part = form.file(Self.fieldName) ?? form.parts(named: Self.fieldName).first else {
            throw HTTPError(
                400,
                "send the image in the form field \"\(Self.fieldName)\" (curl -F \(Self.fieldName)=@image.png)"
            )
        }
        do {
            return try ImageDecoder.decode(part.body, limits: limits)
        } catch {
            throw error.httpError
        }
    }

    /// The statistics of one image.
    public func predict(_ image: DecodedImage) throws -> ImageStatistics {
        ImageStatistics(of: image)
    }

    /// The statistics of each image of a batch.
    public func predict(batch images: [DecodedImage]) throws -> [ImageStatistics] {
        images.map(ImageStatistics.init(of:))
    }
}
