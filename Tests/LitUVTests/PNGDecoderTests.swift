import ExampleModels
import Testing

// PNGDecoder (libpng's simplified API through CPNG): every color type and depth the tests' own encoder writes,
// interlaced or not, decoded to 8-bit samples with the file's channels; corrupt, truncated and oversized files
// refused with typed errors.

private func decode(_ bytes: [UInt8], limits: ImageLimits = ImageLimits()) throws(ImageDecodingError) -> DecodedImage {
    try ImageDecoder.decode(bytes, limits: limits)
}

/// Deterministic sample values in 0..<modulus.
private func pattern(count: Int, modulus: Int, seed: Int = 7) -> [Int] {
    (0..<count).map { ($0 * 37 + seed * 11 + ($0 / 5) * 3) % modulus }
}

@Test func eightBitGrayRGBGrayAlphaAndRGBAKeepTheirSamplesAndChannels() throws {
    let cases: [(colorType: UInt8, channels: [String])] = [
        (0, ["gray"]), (2, ["red", "green", "blue"]), (4, ["gray", "alpha"]), (6, ["red", "green", "blue", "alpha"]),
    ]
    for (colorType, channels) in cases {
        var encoder = TestPNGEncoder(colorType: colorType, bitDepth: 8, width: 5, height: 3, samples: [])
        var samples = pattern(count: 5 * 3 * encoder.channels, modulus: 256)
        if colorType == 4 || colorType == 6 {
            // Opaque pixels: the simplified API keeps 8-bit color straight (not premultiplied), so any alpha works,
            // but full alpha keeps the expectation independent of that choice.
            for index in stride(from: encoder.channels - 1, to: samples.count, by: encoder.channels) {
                samples[index] = 255
            }
        }
        encoder.samples = samples
        let image = try decode(encoder.encode())
        #expect(image.format == .png)
        #expect(image.width == 5)
        #expect(image.height == 3)
        #expect(image.channels == channels)
        #expect(image.samples == samples.map(UInt8.init))
    }
}

@Test func translucentRGBAIsNotPremultiplied() throws {
    let samples = [200, 100, 50, 128, 10, 20, 30, 0]
    let encoder = TestPNGEncoder(colorType: 6, bitDepth: 8, width: 2, height: 1, samples: samples)
    let image = try decode(encoder.encode())
    #expect(image.samples[3] == 128)
    #expect(image.samples[7] == 0)
    #expect(Array(image.samples[0..<3]) == [200, 100, 50])
}

@Test func translucentSixteenBitRGBAIsScaledToStraightAlpha() throws {
    // Half-covered mid gray, an invisible pixel, and an opaque one.
    let samples = [0x8080, 0x4040, 0xFFFF, 0x8000, 0x1234, 0x5678, 0x9ABC, 0, 0xFFFF, 0, 0x8080, 0xFFFF]
    for interlaced in [false, true] {
        let encoder = TestPNGEncoder(
            colorType: 6,
            bitDepth: 16,
            width: 3,
            height: 1,
            samples: samples,
            interlaced: interlaced
        )
        let image = try decode(encoder.encode())
        #expect(image.channels == ["red", "green", "blue", "alpha"])
        let pixels = image.samples.map(Int.init)
        #expect(abs(pixels[0] - 128) <= 1 && abs(pixels[1] - 64) <= 1 && abs(pixels[2] - 255) <= 1)
        #expect(pixels[3] == 128)
        #expect(pixels[7] == 0)
        #expect(Array(pixels[8...]) == [255, 0, 128, 255])
    }
}

@Test func lowBitDepthGrayIsScaledToEightBits() throws {
    for (depth, factor) in [(1, 255), (2, 85), (4, 17)] {
        let values = pattern(count: 9 * 4, modulus: 1 << depth)
        let encoder = TestPNGEncoder(colorType: 0, bitDepth: UInt8(depth), width: 9, height: 4, samples: values)
        let image = try decode(encoder.encode())
        #expect(image.channels == ["gray"])
        #expect(image.samples == values.map { UInt8($0 * factor) }, "bit depth \(depth)")
    }
}

@Test func sixteenBitSamplesAreScaledNotGammaConverted() throws {
    // Multiples of 257 map exactly to v / 257 when the samples are read as sRGB values.
    let values = pattern(count: 4 * 2 * 3, modulus: 256).map { $0 * 257 }
    let encoder = TestPNGEncoder(colorType: 2, bitDepth: 16, width: 4, height: 2, samples: values)
    let image = try decode(encoder.encode())
    #expect(image.channels == ["red", "green", "blue"])
    #expect(image.samples == values.map { UInt8($0 / 257) })

    let gray = TestPNGEncoder(colorType: 0, bitDepth: 16, width: 3, height: 1, samples: [0, 32896, 65535])
    let grayImage = try decode(gray.encode())
    #expect(grayImage.samples[0] == 0)
    #expect((127...128).contains(grayImage.samples[1]))
    #expect(grayImage.samples[2] == 255)
}

@Test func paletteImagesExpandToRGBOrRGBAWithTransparency() throws {
    let palette: [(UInt8, UInt8, UInt8)] = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (10, 20, 30)]
    let indices = pattern(count: 6 * 5, modulus: 4)
    let expectedRGB = indices.flatMap { [palette[$0].0, palette[$0].1, palette[$0].2] }

    var encoder = TestPNGEncoder(colorType: 3, bitDepth: 2, width: 6, height: 5, samples: indices, palette: palette)
    let opaque = try decode(encoder.encode())
    #expect(opaque.channels == ["red", "green", "blue"])
    #expect(opaque.samples == expectedRGB)

    // Entry 0 fully transparent, the others opaque (entries past the tRNS data are opaque).
    encoder.transparency = [0]
    let transparent = try decode(encoder.encode())
    #expect(transparent.channels == ["red", "green", "blue", "alpha"])
    #expect(transparent.samples.count == 6 * 5 * 4)
    for (pixel, index) in indices.enumerated() {
        #expect(transparent.samples[pixel * 4 + 3] == (index == 0 ? 0 : 255))
        if index != 0 {
            #expect(
                Array(transparent.samples[(pixel * 4)..<(pixel * 4 + 3)]) == [
                    palette[index].0, palette[index].1, palette[index].2,
                ]
            )
        }
    }
}

@Test func interlacedImagesDecodeToTheSamePixels() throws {
    // 13 × 11 leaves every Adam7 pass with pixels and some partial blocks.
    for (colorType, depth) in [(UInt8(2), UInt8(8)), (0, 4), (6, 16)] {
        var encoder = TestPNGEncoder(colorType: colorType, bitDepth: depth, width: 13, height: 11, samples: [])
        let maximum = depth == 16 ? 256 : 1 << Int(depth)
        var values = pattern(count: 13 * 11 * encoder.channels, modulus: maximum)
        if depth == 16 { values = values.map { $0 * 257 } }
        if colorType == 6 {
            for index in stride(from: 3, to: values.count, by: 4) { values[index] = 65535 }
        }
        encoder.samples = values
        let plain = try decode(encoder.encode())
        encoder.interlaced = true
        let interlaced = try decode(encoder.encode())
        #expect(interlaced == plain, "color type \(colorType), depth \(depth)")
        #expect(interlaced.width == 13 && interlaced.height == 11)
    }
}

@Test func aCorruptPNGIsMalformedWithLibpngsMessage() throws {
    let encoder = TestPNGEncoder(
        colorType: 2,
        bitDepth: 8,
        width: 8,
        height: 8,
        samples: pattern(count: 192, modulus: 256)
    )
    var file = encoder.encode()
    // The first byte of IDAT's data (after the signature, IHDR's 25 bytes and IDAT's length and type): the CRC fails.
    file[8 + 25 + 8] ^= 0xFF
    #expect {
        try decode(file)
    } throws: { error in
        guard let error = error as? ImageDecodingError else { return false }
        return error.code == .malformed && error.status == 400 && error.message.hasPrefix("PNG: ")
            && error.message.count > "PNG: ".count
    }
}

@Test func corruptHeaderAndCompressedDataAreRefused() throws {
    let encoder = TestPNGEncoder(
        colorType: 0,
        bitDepth: 8,
        width: 4,
        height: 4,
        samples: pattern(count: 16, modulus: 256)
    )
    // A zero width, with a correct CRC: libpng rejects the header itself.
    var zeroWidth = TestPNGEncoder(colorType: 0, bitDepth: 8, width: 0, height: 4, samples: [])
    zeroWidth.samples = []
    // Compressed data that is not zlib, with correct CRCs.
    var file: [UInt8] = Array(encoder.encode().prefix(8 + 25))
    TestPNGEncoder.appendChunk("IDAT", [0x12, 0x34, 0x56, 0x78, 0x9A], to: &file)
    TestPNGEncoder.appendChunk("IEND", [], to: &file)
    for bad in [zeroWidth.encode(), file, PNGDecoder.signature, PNGDecoder.signature + [0, 0, 0, 13]] {
        #expect {
            try decode(bad)
        } throws: { error in
            (error as? ImageDecodingError)?.code == .malformed && (error as? ImageDecodingError)?.status == 400
        }
    }
}

@Test func aTruncatedPNGIsRefusedAtEveryCut() throws {
    let encoder = TestPNGEncoder(
        colorType: 2,
        bitDepth: 8,
        width: 16,
        height: 16,
        samples: pattern(count: 768, modulus: 256)
    )
    let file = encoder.encode()
    // Every cut from the signature to the end of IDAT (IEND is 12 bytes; libpng stops at IDAT's end).
    for length in stride(from: 8, to: file.count - 12, by: 3) {
        #expect(throws: ImageDecodingError.self, "cut at \(length)") { try decode(Array(file.prefix(length))) }
    }
}

@Test func anImageOverThePixelLimitIsRefusedBeforeDecoding() throws {
    // A header claiming 20000 × 20000 pixels (400 Mpx, 1.2 GB as RGB) and no real data: refused at the header.
    var file: [UInt8] = PNGDecoder.signature
    var header: [UInt8] = []
    TestPNGEncoder.appendBigEndian(20000, to: &header)
    TestPNGEncoder.appendBigEndian(20000, to: &header)
    header += [8, 2, 0, 0, 0]
    TestPNGEncoder.appendChunk("IHDR", header, to: &file)
    TestPNGEncoder.appendChunk("IDAT", TestPNGEncoder.compress([0, 0, 0, 0]), to: &file)
    TestPNGEncoder.appendChunk("IEND", [], to: &file)
    #expect {
        try decode(file)
    } throws: { error in
        guard let error = error as? ImageDecodingError else { return false }
        return error.code == .tooManyPixels && error.status == 413 && error.httpError.status == 413
            && error.message.contains("20000×20000")
    }

    let small = TestPNGEncoder(
        colorType: 0,
        bitDepth: 8,
        width: 4,
        height: 4,
        samples: pattern(count: 16, modulus: 256)
    )
    #expect(throws: ImageDecodingError.self) { try decode(small.encode(), limits: ImageLimits(maxPixels: 15)) }
    #expect(try decode(small.encode(), limits: ImageLimits(maxPixels: 16)).width == 4)
}

@Test func neitherPNGNorNetpbmIsAnUnsupportedFormat() {
    for bytes in [[], Array("GIF89a".utf8), [0xFF, 0xD8, 0xFF, 0xE0], Array("P7 1 1".utf8), [0x89, 0x50]] as [[UInt8]] {
        #expect {
            try decode(bytes)
        } throws: { error in
            (error as? ImageDecodingError)?.code == .unsupportedFormat && (error as? ImageDecodingError)?.status == 415
        }
    }
}
