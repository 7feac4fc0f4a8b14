import ExampleModels
import Testing

@_spi(Benchmarks) @testable import LitUV

// ImageStatistics: per-channel mean, extremes and 16-bin histograms over decoded images, and the JSON it answers.

@Test func statisticsOfASmallRGBImage() throws {
    let image = DecodedImage(
        format: .png,
        width: 2,
        height: 2,
        channels: ["red", "green", "blue"],
        samples: [0, 16, 255, 255, 15, 255, 100, 31, 255, 101, 32, 255]
    )
    let statistics = ImageStatistics(of: image)
    #expect(statistics.width == 2 && statistics.height == 2)
    #expect(statistics.channels == ["red", "green", "blue"])
    #expect(statistics.mean == [114, 23.5, 255])
    #expect(statistics.min == [0, 15, 255])
    #expect(statistics.max == [255, 32, 255])
    #expect(statistics.histogramBins == 16)
    var red = [Int](repeating: 0, count: 16)
    red[0] = 1
    red[6] = 2
    red[15] = 1
    var green = [Int](repeating: 0, count: 16)
    green[0] = 1
    green[1] = 2
    green[2] = 1
    var blue = [Int](repeating: 0, count: 16)
    blue[15] = 4
    #expect(statistics.histogram == [red, green, blue])
}

@Test func everyChannelsHistogramCountsEveryPixel() throws {
    let width = 37
    let height = 23
    let samples = (0..<(width * height * 4)).map { UInt8(truncatingIfNeeded: $0 &* 97 &+ $0 / 7) }
    let image = DecodedImage(
        format: .netpbm,
        width: width,
        height: height,
        channels: ["red", "green", "blue", "alpha"],
        samples: samples
    )
    let statistics = ImageStatistics(of: image)
    for channel in 0..<4 {
        let values = stride(from: channel, to: samples.count, by: 4).map { Int(samples[$0]) }
        #expect(statistics.histogram[channel].reduce(0, +) == width * height)
        #expect(statistics.mean[channel] == Double(values.reduce(0, +)) / Double(width * height))
        #expect(statistics.min[channel] == values.min())
        #expect(statistics.max[channel] == values.max())
    }
}

@Test func statisticsEncodeAsDocumentedJSON() throws {
    let image = DecodedImage(format: .netpbm, width: 1, height: 2, channels: ["gray"], samples: [0, 255])
    let json = String(decoding: try LitJSON.encode(ImageStatistics(of: image)), as: UTF8.self)
    #expect(
        json
            == #"{"format":"netpbm","width":1,"height":2,"channels":["gray"],"mean":[127.5],"min":[0],"max":[255],"#
            + #""histogram_bins":16,"histogram":[[1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1]]}"#
    )
}

@Test func statisticsOfADecodedPNGAndPPMAgree() throws {
    let samples = (0..<(6 * 4 * 3)).map { ($0 * 53) % 256 }
    let png = TestPNGEncoder(colorType: 2, bitDepth: 8, width: 6, height: 4, samples: samples).encode()
    let ppm = Array("P6 6 4 255\n".utf8) + samples.map(UInt8.init)
    var fromPNG = ImageStatistics(of: try ImageDecoder.decode(png))
    let fromPPM = ImageStatistics(of: try ImageDecoder.decode(ppm))
    #expect(fromPNG.format == .png)
    fromPNG.format = .netpbm
    #expect(fromPNG == fromPPM)
}
