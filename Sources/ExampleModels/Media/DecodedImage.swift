import LitUV

/// An image decoded for ``ImageStatistics``: 8-bit samples, interleaved by pixel, rows top to bottom.
///
/// Whatever the file's own depth (1 to 16 bits per sample, a palette, a PPM `maxval` other than 255), each sample is
/// brought to 0...255 by the decoder, so statistics of different files compare.
public struct DecodedImage: Sendable, Hashable {
    /// The file format an image was decoded from.
    public enum Format: String, Sendable, Hashable, Encodable {
        /// PNG, through libpng.
        case png
        /// Netpbm: PPM (`P6`, `P3`) or PGM (`P5`, `P2`).
        case netpbm
    }

    /// The format of the file.
    public var format: Format
    /// Pixels per row (at least 1).
    public var width: Int
    /// Rows (at least 1).
    public var height: Int
    /// The channel names in sample order: `["gray"]`, `["gray", "alpha"]`, `["red", "green", "blue"]` or
    /// `["red", "green", "blue", "alpha"]`.
    public var channels: [String]
    /// `width × height × channels.count` samples in 0...255.
    public var samples: [UInt8]

    /// Creates an image from its parts.
    /// - Parameters:
    ///   - format: The file format it came from.
    ///   - width: Pixels per row.
    ///   - height: Rows.
    ///   - channels: Channel names, in sample order.
    ///   - samples: `width × height × channels.count` interleaved samples.
    public init(format: Format, width: Int, height: Int, channels: [String], samples: [UInt8]) {
        self.format = format
        self.width = width
        self.height = height
        self.channels = channels
        self.samples = samples
    }

    /// The channel names for a sample layout, by color and alpha.
    static func channelNames(color: Bool, alpha: Bool) -> [String] {
        (color ? ["red", "green", "blue"] : ["gray"]) + (alpha ? ["alpha"] : [])
    }
}

/// The bounds a decoder enforces before it allocates an image.
public struct ImageLimits: Sendable, Hashable {
    /// The default largest image: 64 Mpx (`64 × 2²⁰` pixels, 256 MiB as 8-bit RGBA).
    public static let defaultMaxPixels = 64 * 1024 * 1024

    /// The largest `width × height` accepted; a larger image is refused before any pixel is decoded (so a few
    /// kilobytes of compressed PNG cannot make the server allocate gigabytes).
    public var maxPixels: Int

    /// Creates limits.
    /// - Parameter maxPixels: The largest `width × height` accepted (at least 1).
    public init(maxPixels: Int = ImageLimits.defaultMaxPixels) {
        self.maxPixels = max(1, maxPixels)
    }

    /// Throws ``ImageDecodingError/Code/tooManyPixels`` when `width × height` exceeds ``maxPixels``.
    func check(width: Int, height: Int) throws(ImageDecodingError) {
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        if overflow || pixels > maxPixels {
            throw ImageDecodingError(
                .tooManyPixels,
                "image of \(width)×\(height) pixels is over the limit of \(maxPixels) pixels"
            )
        }
    }
}

/// Why an uploaded image could not be decoded. ``status`` is the HTTP status it should be answered with.
public struct ImageDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure (a struct, so kinds can be added later).
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: Sendable, Hashable {
            case unsupportedFormat
            case malformed
            case truncated
            case tooManyPixels
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// Neither a PNG nor a Netpbm file (answered 415).
        public static let unsupportedFormat = Code(.unsupportedFormat)
        /// The file breaks its format's rules; for PNG, libpng's message says how (answered 400).
        public static let malformed = Code(.malformed)
        /// The file ends before its pixels do (answered 400).
        public static let truncated = Code(.truncated)
        /// Width × height is over ``ImageLimits/maxPixels`` (answered 413).
        public static let tooManyPixels = Code(.tooManyPixels)

        public var description: String {
            switch value {
            case .unsupportedFormat: "unsupportedFormat"
            case .malformed: "malformed"
            case .truncated: "truncated"
            case .tooManyPixels: "tooManyPixels"
            }
        }
    }

    /// The kind of failure.
    public var code: Code
    /// A message fit for the client.
    public var message: String

    /// Creates an error.
    /// - Parameters:
    ///   - code: The kind of failure.
    ///   - message: A message fit for the client.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// 415 for an unsupported format, 413 for too many pixels, else 400.
    public var status: Int {
        switch code {
        case .unsupportedFormat: 415
        case .tooManyPixels: 413
        default: 400
        }
    }

    /// The error as the answer a hook throws.
    public var httpError: HTTPError { HTTPError(status, message) }

    public var description: String { "\(code): \(message)" }
}
