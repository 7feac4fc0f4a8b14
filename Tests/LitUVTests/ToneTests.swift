import ExampleModels
import Testing

@testable import LitUV

#if canImport(Glibc)
import Glibc
#endif

// Tone and WAVWriter: the 16-bit mono PCM WAV header byte by byte, the sine sample by sample (start, peak, zero
// crossings), the streamed chunks equal to the whole file, and every out-of-range parameter refused with a 422.

private func littleEndian32(_ bytes: [UInt8], at offset: Int) -> Int {
    (0..<4).reduce(0) { $0 | Int(bytes[offset + $1]) << (8 * $1) }
}

private func littleEndian16(_ bytes: [UInt8], at offset: Int) -> Int {
    Int(bytes[offset]) | Int(bytes[offset + 1]) << 8
}

/// The samples of a 16-bit mono WAV after its 44-byte header.
private func pcmSamples(_ wav: [UInt8]) -> [Int16] {
    stride(from: WAVWriter.headerSize, to: wav.count, by: 2).map {
        Int16(bitPattern: UInt16(wav[$0]) | UInt16(wav[$0 + 1]) << 8)
    }
}

@Test func theWAVHeaderDescribesSixteenBitMonoPCM() {
    let header = WAVWriter.header(sampleRate: 22_050, sampleCount: 1000)
    #expect(header.count == 44)
    #expect(Array(header[0..<4]) == Array("RIFF".utf8))
    #expect(littleEndian32(header, at: 4) == 36 + 2000)
    #expect(Array(header[8..<16]) == Array("WAVEfmt ".utf8))
    #expect(littleEndian32(header, at: 16) == 16)
    #expect(littleEndian16(header, at: 20) == 1)  // PCM
    #expect(littleEndian16(header, at: 22) == 1)  // mono
    #expect(littleEndian32(header, at: 24) == 22_050)
    #expect(littleEndian32(header, at: 28) == 44_100)
    #expect(littleEndian16(header, at: 32) == 2)
    #expect(littleEndian16(header, at: 34) == 16)
    #expect(Array(header[36..<40]) == Array("data".utf8))
    #expect(littleEndian32(header, at: 40) == 2000)
}

@Test func samplesAreLittleEndianTwosComplement() {
    var bytes: [UInt8] = []
    WAVWriter.append([0, 1, -1, Int16.max, Int16.min, 0x1234], to: &bytes)
    #expect(bytes == [0, 0, 1, 0, 0xFF, 0xFF, 0xFF, 0x7F, 0x00, 0x80, 0x34, 0x12])
}

@Test func aToneIsASineOfTheAskedFrequencyAndLength() throws {
    let tone = try Tone(frequency: 440, duration: 1)
    #expect(tone.sampleCount == 22_050)
    let wav = tone.wav()
    #expect(wav.count == tone.wavByteCount)
    #expect(wav.count == 44 + 44_100)
    #expect(Array(wav[0..<44]) == WAVWriter.header(sampleRate: Tone.sampleRate, sampleCount: 22_050))
    let samples = pcmSamples(wav)
    #expect(samples.count == 22_050)
    #expect(samples[0] == 0)
    #expect(samples[1] > 0)
    // Peak: half of full scale by default, reached within rounding (a cycle is ~50 samples, so the crest is sampled
    // within 0.2% of its top).
    let peak = samples.map { abs(Int($0)) }.max() ?? 0
    #expect(peak <= 16_384)
    #expect(peak >= 16_350)
    // Sign changes: 2 × 440 × 1 s, give or take the ends.
    var crossings = 0
    for index in 1..<samples.count where (samples[index - 1] < 0) != (samples[index] < 0) { crossings += 1 }
    #expect((878...882).contains(crossings))
    // Sample by sample against the formula.
    for index in stride(from: 0, to: samples.count, by: 997) {
        let expected = (0.5 * 32767 * sin(2 * Double.pi * 440 * Double(index) / 22_050)).rounded()
        #expect(abs(Double(samples[index]) - expected) <= 1, "sample \(index)")
    }
}

@Test func amplitudeAndShortDurationsAreHonoured() throws {
    // 5512.5 Hz is a quarter of the sample rate: the samples cycle 0, +peak, 0, -peak exactly.
    let tone = try Tone(frequency: 5512.5, duration: 0.001, amplitude: 1)
    #expect(tone.sampleCount == 22)
    let samples = pcmSamples(tone.wav())
    #expect(Array(samples.prefix(8)) == [0, 32767, 0, -32767, 0, 32767, 0, -32767])
    // The shortest tone is one sample.
    #expect(try Tone(frequency: 100, duration: 1.0 / 22_050).sampleCount == 1)
    #expect(try Tone(frequency: 100, duration: 30).sampleCount == 661_500)
}

@Test func theStreamedChunksAreTheHeaderThenTheSamples() throws {
    let tone = try Tone(frequency: 1000, duration: 0.5)
    let chunks = Array(tone.wavChunks(samplesPerChunk: 1000))
    #expect(chunks.first == WAVWriter.header(sampleRate: Tone.sampleRate, sampleCount: tone.sampleCount))
    // 11,025 samples: 11 full chunks and one of 25.
    #expect(chunks.count == 1 + 12)
    #expect(chunks.dropFirst().dropLast().allSatisfy { $0.count == 2000 })
    #expect(chunks.last?.count == 50)
    #expect(Array(chunks.joined()) == tone.wav())
    #expect(Array(tone.wavChunks().joined()) == tone.wav())
}

@Test func outOfRangeToneParametersAre422() {
    let cases: [(Double, Double, Double, String)] = [
        (0, 1, 0.5, "frequency"), (-5, 1, 0.5, "frequency"), (11_025, 1, 0.5, "frequency"),
        (.infinity, 1, 0.5, "frequency"), (.nan, 1, 0.5, "frequency"),
        (440, 0, 0.5, "duration"), (440, -1, 0.5, "duration"), (440, 30.001, 0.5, "duration"),
        (440, .nan, 0.5, "duration"), (440, 0.00001, 0.5, "one sample"),
        (440, 1, 0, "amplitude"), (440, 1, 1.01, "amplitude"),
    ]
    for (frequency, duration, amplitude, field) in cases {
        #expect {
            try Tone(frequency: frequency, duration: duration, amplitude: amplitude)
        } throws: { error in
            guard let error = error as? HTTPError else { return false }
            return error.status == 422 && error.detail.contains(field)
        }
    }
}
