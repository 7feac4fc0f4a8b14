/// A strict decoder for Netpbm color and gray images: PPM (`P6` binary, `P3` plain) and PGM (`P5` binary,
/// `P2` plain).
///
/// The header is the magic number, then width, height and `maxval` as unsigned decimal numbers separated by
/// whitespace (space, tab, CR, LF, VT, FF) and comments (`#` to the end of the line). A binary raster starts after
/// exactly one whitespace character following `maxval`, with one byte per sample when `maxval` ≤ 255 and two bytes
/// (big-endian) up to 65535; it must fill the rest of the file exactly. A plain raster is decimal samples separated
/// by whitespace. Every sample must be at most `maxval`; samples are scaled to 0...255
/// (`(v × 255 + maxval / 2) / maxval`). One image per file.
public enum NetpbmDecoder {
    /// True when `bytes` starts with `P2`, `P3`, `P5` or `P6`.
    public static func hasMagic(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 2 && bytes[0] == UInt8(ascii: "P") && [UInt8(ascii: "2"), 0x33, 0x35, 0x36].contains(bytes[1])
    }

    /// Decodes a PPM or PGM file.
    /// - Parameters:
    ///   - bytes: The whole file.
    ///   - limits: The largest image accepted.
    /// - Returns: The image: channels red, green, blue (PPM) or gray (PGM), samples scaled to 0...255.
    /// - Throws: ``ImageDecodingError``: `.malformed` for a bad header, a sample over `maxval` or bytes after the
    ///   raster, `.truncated` for a raster cut short, `.tooManyPixels` for an image over `limits`,
    ///   `.unsupportedFormat` for another magic number.
    public static func decode(
        _ bytes: UnsafeRawBufferPointer,
        limits: ImageLimits = ImageLimits()
    ) throws(ImageDecodingError) -> DecodedImage {
        guard hasMagic(bytes) else {
            throw ImageDecodingError(.unsupportedFormat, "Netpbm: the file does not start with P2, P3, P5 or P6")
        }
        let plain = bytes[1] == UInt8(ascii: "2") || bytes[1] == UInt8(ascii: "3")
        let color = bytes[1] == UInt8(ascii: "3") || bytes[1] == UInt8(ascii: "6")
        var reader = Reader(bytes: bytes, position: 2, name: color ? "PPM" : "PGM")

        let width = try reader.headerNumber("width", range: 1...Int(Int32.max))
        let height = try reader.headerNumber("height", range: 1...Int(Int32.max))
        try limits.check(width: width, height: height)
        let maxval = try reader.headerNumber("maxval", range: 1...65535)
        let channels = color ? 3 : 1
        let (count, overflow) = (width * height).multipliedReportingOverflow(by: channels)
        guard !overflow else { throw reader.error(.malformed, "the image is too large") }
        let scale = Scale(maxval: maxval)
        guard reader.position < bytes.count else { throw reader.error(.truncated, "the file ends after maxval") }
        guard Reader.isWhitespace(bytes[reader.position]) else {
            throw reader.error(.malformed, "maxval must be followed by one whitespace character")
        }
        reader.position += 1
        let available = bytes.count - reader.position
        var samples: [UInt8]

        if plain {
            // Each sample takes at least one digit and all but the last one separator: refuse a short file before
            // allocating the image.
            if available < 2 * count - 1 {
                throw reader.error(.truncated, "the raster has \(available) bytes, too few for \(count) samples")
            }
            samples = [UInt8](repeating: 0, count: count)
            for index in 0..<count {
                reader.skipWhitespace()
                guard reader.position < bytes.count else {
                    throw reader.error(.truncated, "the raster ends after \(index) of \(count) samples")
                }
                let value = try reader.number("sample \(index)", range: 0...65535)
                samples[index] = try scale.apply(value, index: index, reader: reader)
            }
            reader.skipWhitespace()
            if reader.position < bytes.count {
                throw reader.error(.malformed, "unexpected data after the last sample at byte \(reader.position)")
            }
        } else {
            let bytesPerSample = maxval > 255 ? 2 : 1
            let expected = count * bytesPerSample
            if available < expected {
                throw reader.error(.truncated, "the raster has \(available) bytes, \(expected) expected")
            }
            if available > expected {
                throw reader.error(.malformed, "\(available - expected) bytes after the raster")
            }
            let raster = UnsafeRawBufferPointer(rebasing: bytes[reader.position...])
            samples = [UInt8](repeating: 0, count: count)
            for index in 0..<count {
                let value =
                    bytesPerSample == 1
                    ? Int(raster[index])
                    : Int(raster[2 * index]) << 8 | Int(raster[2 * index + 1])
                samples[index] = try scale.apply(value, index: index, reader: reader)
            }
        }
        return DecodedImage(
            format: .netpbm,
            width: width,
            height: height,
            channels: DecodedImage.channelNames(color: color, alpha: false),
            samples: samples
        )
    }

    /// Brings samples in 0...maxval to 0...255, rounding to nearest.
    private struct Scale {
        let maxval: Int

        func apply(_ value: Int, index: Int, reader: Reader) throws(ImageDecodingError) -> UInt8 {
            guard value <= maxval else {
                throw reader.error(.malformed, "sample \(index) is \(value), over maxval \(maxval)")
            }
            return maxval == 255 ? UInt8(value) : UInt8((value * 255 + maxval / 2) / maxval)
        }
    }

    /// A cursor over the file's bytes.
    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var position: Int
        let name: String

        static func isWhitespace(_ byte: UInt8) -> Bool {
            byte == 0x20 || (0x09...0x0D).contains(byte)
        }

        static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }

        func error(_ code: ImageDecodingError.Code, _ message: String) -> ImageDecodingError {
            ImageDecodingError(code, "\(name): \(message)")
        }

        mutating func skipWhitespace() {
            while position < bytes.count, Reader.isWhitespace(bytes[position]) { position += 1 }
        }

        /// Skips whitespace and comments; at least one whitespace character or comment must be there.
        mutating func skipSeparator(before field: String) throws(ImageDecodingError) {
            let start = position
            while position < bytes.count {
                if Reader.isWhitespace(bytes[position]) {
                    position += 1
                } else if bytes[position] == UInt8(ascii: "#") {
                    while position < bytes.count, bytes[position] != 0x0A, bytes[position] != 0x0D { position += 1 }
                } else {
                    break
                }
            }
            if position == bytes.count {
                throw error(.truncated, "the header ends before \(field)")
            }
            if position == start {
                throw error(.malformed, "whitespace expected before \(field) at byte \(position)")
            }
        }

        /// A header field: separator, then a decimal number in `range`.
        mutating func headerNumber(_ field: String, range: ClosedRange<Int>) throws(ImageDecodingError) -> Int {
            try skipSeparator(before: field)
            return try number(field, range: range)
        }

        /// An unsigned decimal number in `range` at the cursor, followed by whitespace, `#` or the end.
        mutating func number(_ field: String, range: ClosedRange<Int>) throws(ImageDecodingError) -> Int {
            let start = position
            var value = 0
            while position < bytes.count, Reader.isDigit(bytes[position]) {
                value = value * 10 + Int(bytes[position] - 0x30)
                position += 1
                if value > range.upperBound {
                    throw error(.malformed, "\(field) is over \(range.upperBound)")
                }
            }
            if position == start {
                throw error(.malformed, "\(field) must be a decimal number (byte \(position))")
            }
            if position < bytes.count, !Reader.isWhitespace(bytes[position]), bytes[position] != UInt8(ascii: "#") {
                throw error(.malformed, "\(field) must be followed by whitespace (byte \(position))")
            }
            if value < range.lowerBound {
                throw error(.malformed, "\(field) must be at least \(range.lowerBound)")
            }
            return value
        }
    }
}
