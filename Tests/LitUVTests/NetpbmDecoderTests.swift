import ExampleModels
import Testing

// NetpbmDecoder: binary and plain PPM and PGM, comments and whitespace in the header, maxval other than 255 and
// 16-bit rasters scaled to 0...255; every rule of the strict header and raster refused with a typed error.

private func decode(
    _ text: String,
    raster: [UInt8] = [],
    limits: ImageLimits = ImageLimits()
)
    throws(ImageDecodingError) -> DecodedImage
{
    try ImageDecoder.decode(Array(text.utf8) + raster, limits: limits)
}

private func expectFailure(
    _ code: ImageDecodingError.Code,
    _ text: String,
    raster: [UInt8] = [],
    containing fragment: String = "",
    sourceLocation: SourceLocation = #_sourceLocation
) {
    do {
        let image = try decode(text, raster: raster)
        Issue.record("decoded \(image.width)×\(image.height), expected \(code)", sourceLocation: sourceLocation)
    } catch {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        #expect(error.message.contains(fragment), "\(error)", sourceLocation: sourceLocation)
        #expect(error.status == (code == .tooManyPixels ? 413 : 400), sourceLocation: sourceLocation)
    }
}

@Test func binaryPPMDecodesItsRaster() throws {
    let raster: [UInt8] = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]
    let image = try decode("P6\n2 2\n255\n", raster: raster)
    #expect(image.format == .netpbm)
    #expect(image.width == 2 && image.height == 2)
    #expect(image.channels == ["red", "green", "blue"])
    #expect(image.samples == raster)
}

@Test func headerCommentsAndAnyWhitespaceAreSkipped() throws {
    let raster: [UInt8] = [1, 2, 3, 4, 5, 6]
    let headers = [
        "P6 2 1 255 ", "P6\t2\r\n1\n255\n", "P6# made by a test\n2 # width\n 1\n#maxval next\n255\r",
        "P6\n#\n#\n2\u{0B}1\u{0C}255\t",
    ]
    for header in headers {
        #expect(try decode(header, raster: raster).samples == raster, "\(header.debugDescription)")
    }
}

@Test func aSmallMaxvalIsScaledToEightBits() throws {
    let image = try decode("P6 2 1 15\n", raster: [0, 15, 7, 8, 1, 14])
    // (v × 255 + 7) / 15
    #expect(image.samples == [0, 255, 119, 136, 17, 238])
    let one = try decode("P5 3 1 1\n", raster: [0, 1, 1])
    #expect(one.samples == [0, 255, 255])
}

@Test func sixteenBitRastersAreBigEndianAndScaled() throws {
    let raster: [UInt8] = [0x00, 0x00, 0xFF, 0xFF, 0x80, 0x00, 0x12, 0x12, 0x01, 0x01, 0x00, 0x80]
    let image = try decode("P6 2 1 65535\n", raster: raster)
    #expect(image.samples == [0, 255, 128, 18, 1, 0])
    let thousand = try decode("P5 1 1 1000\n", raster: [0x01, 0xF4])  // 500 of 1000
    #expect(thousand.samples == [128])
}

@Test func plainPPMAndPGMAreRead() throws {
    let ppm = try decode("P3\n# plain\n2 1\n255\n255 0 7\n  0 128\n\n255\n")
    #expect(ppm.channels == ["red", "green", "blue"])
    #expect(ppm.samples == [255, 0, 7, 0, 128, 255])
    let pgm = try decode("P2 3 1 100 0 50 100")
    #expect(pgm.channels == ["gray"])
    #expect(pgm.samples == [0, 128, 255])
    let binaryPGM = try decode("P5 2 2 255\n", raster: [9, 8, 7, 6])
    #expect(binaryPGM.samples == [9, 8, 7, 6])
}

@Test func badHeadersAreMalformed() {
    expectFailure(.malformed, "P62 1 255\n", raster: [0, 0, 0, 0, 0, 0], containing: "whitespace expected")
    expectFailure(.malformed, "P6 0 1 255\n", containing: "width must be at least 1")
    expectFailure(.malformed, "P6 1 0 255\n", containing: "height must be at least 1")
    expectFailure(.malformed, "P6 -1 1 255\n", containing: "width must be a decimal number")
    expectFailure(.malformed, "P6 +1 1 255\n", containing: "width must be a decimal number")
    expectFailure(.malformed, "P6 1x 1 255\n", containing: "width must be followed by whitespace")
    expectFailure(.malformed, "P6 1 1 0\n", raster: [0, 0, 0], containing: "maxval must be at least 1")
    expectFailure(.malformed, "P6 1 1 65536\n", raster: [0, 0, 0, 0, 0, 0], containing: "maxval is over 65535")
    expectFailure(.malformed, "P6 99999999999999999999 1 255\n", containing: "width is over")
    expectFailure(.malformed, "P6 1 1 255#c\n", raster: [0, 0, 0], containing: "one whitespace character")
}

@Test func shortFilesAreTruncated() {
    expectFailure(.truncated, "P6", containing: "before width")
    expectFailure(.truncated, "P6 2", containing: "before height")
    expectFailure(.truncated, "P6 2 2 # no maxval\n", containing: "before maxval")
    expectFailure(.truncated, "P6 2 2 255", containing: "after maxval")
    expectFailure(.truncated, "P6 2 2 255\n", raster: Array(repeating: 1, count: 11), containing: "11 bytes, 12")
    expectFailure(.truncated, "P6 1 1 65535\n", raster: [0, 0, 0, 0, 0], containing: "5 bytes, 6")
    expectFailure(.truncated, "P3 2 1 255\n1 2 3 4 5", containing: "too few")
    expectFailure(.truncated, "P3 2 1 255\n1 2 3 4 5      ", containing: "after 5 of 6")
}

@Test func samplesOverMaxvalAndTrailingBytesAreMalformed() {
    expectFailure(.malformed, "P6 1 1 100\n", raster: [100, 101, 0], containing: "sample 1 is 101, over maxval 100")
    expectFailure(.malformed, "P6 1 1 1000\n", raster: [0, 0, 0x03, 0xE9, 0, 0], containing: "over maxval 1000")
    expectFailure(.malformed, "P3 1 1 100\n1 2 300\n", containing: "sample 2 is 300")
    expectFailure(.malformed, "P6 1 1 255\n", raster: [1, 2, 3, 4], containing: "1 bytes after the raster")
    expectFailure(.malformed, "P3 1 1 255\n1 2 3 4\n", containing: "unexpected data")
    expectFailure(.malformed, "P3 1 1 255\n1 2 # no\n3\n", containing: "sample 2 must be a decimal number")
}

@Test func aHugeNetpbmHeaderIsRefusedBeforeAllocating() {
    expectFailure(.tooManyPixels, "P6 100000 100000 255\n", raster: [1, 2, 3], containing: "100000×100000")
    expectFailure(.tooManyPixels, "P6 2147483647 2147483647 255\n", containing: "over the limit")
    // A binary raster far shorter than its header says is refused before the image is allocated.
    expectFailure(.truncated, "P6 8000 8000 255\n", raster: [1, 2, 3], containing: "3 bytes, 192000000 expected")
}
