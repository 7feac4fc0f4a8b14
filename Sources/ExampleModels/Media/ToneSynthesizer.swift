import LitUV

#if canImport(Glibc)
import Glibc
#endif

/// A sine tone for `--model tone`, rendered as 16-bit mono PCM at ``sampleRate`` Hz.
///
/// Sample `n` is `round(amplitude × 32767 × sin(2π × frequency × n / sampleRate))`: the tone starts at 0 and rises,
/// crosses zero about `2 × frequency × duration` times and peaks at `amplitude × 32767`. It has
/// `round(duration × sampleRate)` samples.
public struct Tone: Sendable, Hashable {
    /// The media type of a WAV file.
    public static let contentType = "audio/wav"
    /// Samples per second: 22,050 Hz (so frequencies up to, not including, 11,025 Hz).
    public static let sampleRate = 22_050
    /// The longest tone, in seconds (30 s is 661,500 samples, a 1.3 MB WAV).
    public static let maxDuration = 30.0
    /// The amplitude when a request gives none (half of full scale).
    public static let defaultAmplitude = 0.5
    /// The Nyquist frequency, ``sampleRate`` / 2: frequencies must be below it.
    public static var nyquistFrequency: Double { Double(sampleRate) / 2 }

    /// Hz, in (0, ``nyquistFrequency``).
    public let frequency: Double
    /// Seconds, in (0, ``maxDuration``].
    public let duration: Double
    /// The peak as a fraction of full scale, in (0, 1].
    public let amplitude: Double
    /// `round(duration × sampleRate)`, at least 1.
    public let sampleCount: Int

    /// Validates a tone's parameters.
    /// - Parameters:
    ///   - frequency: Hz, above 0 and below the Nyquist frequency (11,025 Hz).
    ///   - duration: Seconds, above 0 and at most 30, and at least one sample long.
    ///   - amplitude: The peak as a fraction of full scale, above 0 and at most 1.
    /// - Throws: ``HTTPError`` 422 naming the field and its allowed range.
    public init(frequency: Double, duration: Double, amplitude: Double = Tone.defaultAmplitude) throws(HTTPError) {
        guard frequency.isFinite, frequency > 0, frequency < Tone.nyquistFrequency else {
            throw HTTPError(
                422,
                "frequency must be above 0 and below \(Int(Tone.nyquistFrequency)) Hz "
                    + "(half the sample rate of \(Tone.sampleRate) Hz)"
            )
        }
        guard duration.isFinite, duration > 0, duration <= Tone.maxDuration else {
            throw HTTPError(422, "duration must be above 0 and at most \(Int(Tone.maxDuration)) seconds")
        }
        guard amplitude.isFinite, amplitude > 0, amplitude <= 1 else {
            throw HTTPError(422, "amplitude must be above 0 and at most 1")
        }
        let sampleCount = Int((duration * Double(Tone.sampleRate)).rounded())
        guard sampleCount >= 1 else {
            throw HTTPError(422, "duration must be at least one sample (1/\(Tone.sampleRate) s)")
        }
        self.frequency = frequency
        self.duration = duration
        self.amplitude = amplitude
        self.sampleCount = sampleCount
    }

    /// The size of the whole WAV file in bytes: the header and two bytes per sample.
    public var wavByteCount: Int { WAVWriter.headerSize + 2 * sampleCount }

    /// Sample `index` (0 ..< ``sampleCount``).
    public func sample(at index: Int) -> Int16 {
        // The phase in cycles, reduced to [0, 1) before sin so long tones keep their precision.
        let cycles = frequency * Double(index) / Double(Tone.sampleRate)
        let phase = cycles - cycles.rounded(.down)
        return Int16((amplitude * 32767 * sin(2 * Double.pi * phase)).rounded())
    }

    /// The whole tone as a WAV file.
    public func wav() -> [UInt8] {
        var bytes = WAVWriter.header(sampleRate: Tone.sampleRate, sampleCount: sampleCount)
        bytes.reserveCapacity(wavByteCount)
        WAVWriter.append((0..<sampleCount).lazy.map(sample(at:)), to: &bytes)
        return bytes
    }

    /// The same WAV file as ``wav()``, in pieces made as they are asked for: the header first (its sizes are known
    /// from the duration), then the samples, `samplesPerChunk` at a time.
    /// - Parameter samplesPerChunk: Samples per chunk after the header (at least 1; default 4096, 8 KiB, ~0.19 s).
    public func wavChunks(samplesPerChunk: Int = 4096) -> WAVChunks {
        WAVChunks(tone: self, samplesPerChunk: Swift.max(1, samplesPerChunk))
    }
}

/// The pieces of a ``Tone``'s WAV file, rendered one at a time as the sequence is iterated.
public struct WAVChunks: Sequence, IteratorProtocol, Sendable {
    private let tone: Tone
    private let samplesPerChunk: Int
    private var headerSent = false
    private var nextSample = 0

    init(tone: Tone, samplesPerChunk: Int) {
        self.tone = tone
        self.samplesPerChunk = samplesPerChunk
    }

    /// The header, then each run of samples; nil after the last sample.
    public mutating func next() -> [UInt8]? {
        if !headerSent {
            headerSent = true
            return WAVWriter.header(sampleRate: Tone.sampleRate, sampleCount: tone.sampleCount)
        }
        guard nextSample < tone.sampleCount else { return nil }
        let end = Swift.min(nextSample + samplesPerChunk, tone.sampleCount)
        var bytes: [UInt8] = []
        WAVWriter.append((nextSample..<end).lazy.map(tone.sample(at:)), to: &bytes)
        nextSample = end
        return bytes
    }
}
