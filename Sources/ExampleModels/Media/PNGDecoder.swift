import CPNG

/// Decodes PNG files through libpng's simplified API (`png_image_begin_read_from_memory`,
/// `png_image_finish_read`), which reports errors in `png_image.message` and never longjmps into Swift.
///
/// Every PNG kind libpng reads is accepted: grayscale, RGB, palette, with or without alpha (an alpha channel or a
/// `tRNS` chunk), 1 to 16 bits per sample, interlaced or not. The result keeps the file's color and alpha channels
/// and has 8-bit samples: libpng expands palettes and low depths, and 16-bit samples are scaled (`v` becomes
/// `round(v × 255 / 65535)`; libpng gives them as linear values, converting only files that declare a gamma).
/// The size is checked against ``ImageLimits`` before the pixel buffer is allocated.
public enum PNGDecoder {
    /// The eight bytes every PNG file starts with.
    public static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// True when `bytes` starts with the PNG signature.
    public static func hasSignature(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= signature.count && zip(bytes, signature).allSatisfy { $0 == $1 }
    }

    /// Decodes a PNG file.
    /// - Parameters:
    ///   - bytes: The whole file.
    ///   - limits: The largest image accepted.
    /// - Returns: The image with 8-bit samples and the file's channels.
    /// - Throws: ``ImageDecodingError``: `.malformed` with libpng's message for a corrupt or truncated file,
    ///   `.tooManyPixels` for an image over `limits`.
    public static func decode(
        _ bytes: UnsafeRawBufferPointer,
        limits: ImageLimits = ImageLimits()
    ) throws(ImageDecodingError) -> DecodedImage {
        guard let base = bytes.baseAddress, hasSignature(bytes) else {
            throw ImageDecodingError(.malformed, "PNG: the file does not start with the PNG signature")
        }
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        // Frees libpng's state whatever happens; a no-op once png_image_finish_read has freed it, or after a failure.
        defer { png_image_free(&image) }

        guard png_image_begin_read_from_memory(&image, base, bytes.count) != 0 else {
            throw failure(image)
        }
        let width = Int(image.width)
        let height = Int(image.height)
        try limits.check(width: width, height: height)

        let color = image.format & PNG_FORMAT_FLAG_COLOR != 0
        let alpha = image.format & PNG_FORMAT_FLAG_ALPHA != 0
        let sixteenBit = image.format & PNG_FORMAT_FLAG_LINEAR != 0
        // No color map: libpng expands palettes, low depths and tRNS. 16-bit files are read as 16-bit samples and
        // scaled here (libpng 1.6.39 scales Adam7-interlaced 16-bit images to 8 bits wrongly:
        // https://github.com/pnggroup/libpng/issues/853).
        image.format =
            (color ? PNG_FORMAT_FLAG_COLOR : 0) | (alpha ? PNG_FORMAT_FLAG_ALPHA : 0)
            | (sixteenBit ? PNG_FORMAT_FLAG_LINEAR : 0)
        let channels = (color ? 3 : 1) + (alpha ? 1 : 0)
        let count = width * height * channels
        let size = Int(CPNG_image_size(&image))

        var finished = false
        var samples = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            if let start = buffer.baseAddress {
                // Row stride 0: rows packed at the minimum stride, top row first. No background: alpha is kept.
                finished = png_image_finish_read(&image, nil, start, 0, nil) != 0
                // On failure the contents are not used, but every byte the array counts must be initialized.
                if !finished { start.initialize(repeating: 0, count: size) }
            }
            initialized = size
        }
        guard finished else { throw failure(image) }
        if sixteenBit {
            samples.withUnsafeMutableBytes { bytes in
                scaleToEightBits(bytes, samples: count, channels: channels, alpha: alpha)
            }
            samples.removeLast(size - count)
        }
        return DecodedImage(
            format: .png,
            width: width,
            height: height,
            channels: DecodedImage.channelNames(color: color, alpha: alpha),
            samples: samples
        )
    }

    /// Rewrites `samples` 16-bit samples (native byte order) as as many 8-bit samples at the start of `bytes`, in
    /// place. libpng's 16-bit output has associated alpha (color premultiplied by alpha), so color is divided by
    /// alpha here to give straight alpha, as 8-bit output has.
    private static func scaleToEightBits(
        _ bytes: UnsafeMutableRawBufferPointer,
        samples: Int,
        channels: Int,
        alpha: Bool
    ) {
        var pixel = [Int](repeating: 0, count: channels)
        // Pixel p is read from bytes 2 × p × channels... before bytes p × channels... are written.
        for start in stride(from: 0, to: samples, by: channels) {
            for channel in 0..<channels {
                pixel[channel] = Int(bytes.load(fromByteOffset: 2 * (start + channel), as: UInt16.self))
            }
            let coverage = alpha ? pixel[channels - 1] : 65535
            for channel in 0..<channels {
                let value: Int
                if alpha && channel < channels - 1 {
                    value = coverage == 0 ? 0 : Swift.min(255, (pixel[channel] * 255 + coverage / 2) / coverage)
                } else {
                    value = (pixel[channel] * 255 + 32767) / 65535
                }
                bytes[start + channel] = UInt8(value)
            }
        }
    }

    /// The typed error for a failed libpng call, with libpng's message.
    private static func failure(_ image: png_image) -> ImageDecodingError {
        let message = withUnsafePointer(to: image) { String(cString: CPNG_image_message($0)) }
        return ImageDecodingError(.malformed, "PNG: \(message.isEmpty ? "libpng could not read the file" : message)")
    }
}
