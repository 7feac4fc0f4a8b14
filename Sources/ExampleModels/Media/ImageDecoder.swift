/// Decodes an uploaded image by its first bytes: the PNG signature goes to ``PNGDecoder``, `P2`, `P3`, `P5` and
/// `P6` to ``NetpbmDecoder``; anything else is ``ImageDecodingError/Code/unsupportedFormat``.
public enum ImageDecoder {
    /// The media types an image upload may declare (any other declared type is still sniffed by content).
    public static let acceptedTypes = ["image/png", "image/x-portable-pixmap", "image/x-portable-graymap"]

    /// Decodes a PNG or Netpbm file.
    /// - Parameters:
    ///   - bytes: The whole file.
    ///   - limits: The largest image accepted.
    /// - Returns: The image with 8-bit samples.
    /// - Throws: ``ImageDecodingError``.
    public static func decode(
        _ bytes: UnsafeRawBufferPointer,
        limits: ImageLimits = ImageLimits()
    ) throws(ImageDecodingError) -> DecodedImage {
        if PNGDecoder.hasSignature(bytes) {
            return try PNGDecoder.decode(bytes, limits: limits)
        }
        if NetpbmDecoder.hasMagic(bytes) {
            return try NetpbmDecoder.decode(bytes, limits: limits)
        }
        throw ImageDecodingError(
            .unsupportedFormat,
            "not a PNG or Netpbm (P2, P3, P5, P6) image; accepted types: \(acceptedTypes.joined(separator: ", "))"
        )
    }

    /// Decodes a PNG or Netpbm file held in an array.
    /// - Parameters:
    ///   - bytes: The whole file.
    ///   - limits: The largest image accepted.
    /// - Returns: The image with 8-bit samples.
    /// - Throws: ``ImageDecodingError``.
    public static func decode(
        _ bytes: [UInt8],
        limits: ImageLimits = ImageLimits()
    ) throws(ImageDecodingError) -> DecodedImage {
        do {
            return try bytes.withUnsafeBytes { buffer in try decode(buffer, limits: limits) }
        } catch let error as ImageDecodingError {
            throw error
        } catch {
            throw ImageDecodingError(.malformed, "\(error)")
        }
    }
}
