/// Writes 16-bit mono PCM WAV files: a 44-byte RIFF header (`RIFF`, `WAVE`, a 16-byte `fmt ` chunk with format 1,
/// one channel, the sample rate, 16 bits per sample, then the `data` chunk's size), then the samples,
/// little-endian. The sizes are written up front, so a WAV can be streamed once its sample count is known.
public enum WAVWriter {
    /// The bytes of a header.
    public static let headerSize = 44

    /// The largest sample count whose file sizes fit the header's 32-bit fields.
    public static let maxSampleCount = (Int(UInt32.max) - (headerSize - 8)) / 2

    /// The header of a 16-bit mono PCM WAV.
    /// - Parameters:
    ///   - sampleRate: Samples per second (1...UInt32.max / 2).
    ///   - sampleCount: The number of samples that follow (0...``maxSampleCount``).
    /// - Returns: ``headerSize`` bytes.
    public static func header(sampleRate: Int, sampleCount: Int) -> [UInt8] {
        precondition(sampleRate > 0 && sampleRate <= Int(UInt32.max / 2), "sampleRate out of range")
        precondition(sampleCount >= 0 && sampleCount <= maxSampleCount, "sampleCount out of range")
        let dataSize = UInt32(sampleCount * 2)
        var header: [UInt8] = []
        header.reserveCapacity(headerSize)
        header += Array("RIFF".utf8)
        appendLittleEndian(UInt32(headerSize - 8) + dataSize, to: &header)
        header += Array("WAVEfmt ".utf8)
        appendLittleEndian(UInt32(16), to: &header)  // the fmt chunk's size
        appendLittleEndian(UInt16(1), to: &header)  // PCM
        appendLittleEndian(UInt16(1), to: &header)  // mono
        appendLittleEndian(UInt32(sampleRate), to: &header)
        appendLittleEndian(UInt32(sampleRate * 2), to: &header)  // bytes per second
        appendLittleEndian(UInt16(2), to: &header)  // bytes per frame
        appendLittleEndian(UInt16(16), to: &header)  // bits per sample
        header += Array("data".utf8)
        appendLittleEndian(dataSize, to: &header)
        return header
    }

    /// Appends samples as 16-bit little-endian PCM.
    /// - Parameters:
    ///   - samples: The samples.
    ///   - bytes: Where to append them (two bytes each).
    public static func append(_ samples: some Collection<Int16>, to bytes: inout [UInt8]) {
        bytes.reserveCapacity(bytes.count + 2 * samples.count)
        for sample in samples {
            appendLittleEndian(UInt16(bitPattern: sample), to: &bytes)
        }
    }

    private static func appendLittleEndian<Value: FixedWidthInteger & UnsignedInteger>(
        _ value: Value,
        to bytes: inout [UInt8]
    ) {
        for shift in stride(from: 0, to: Value.bitWidth, by: 8) {
            bytes.append(UInt8(truncatingIfNeeded: value >> shift))
        }
    }
}
