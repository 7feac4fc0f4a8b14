/// What `--model image-stats` answers for an image: its size, channels and, per channel, the mean, the extremes and
/// a histogram.
///
/// ```json
/// {"format":"png","width":2,"height":1,"channels":["red","green","blue"],
///  "mean":[127.5,0.0,255.0],"min":[0,0,255],"max":[255,0,255],
///  "histogram_bins":16,"histogram":[[1,0,…,0,1],[2,0,…,0],[0,…,0,2]]}
/// ```
///
/// Samples are on the 0...255 scale whatever the file's depth (see ``DecodedImage``). `histogram[c]` has
/// ``histogramBins`` (16) counts for channel `c`: bin `i` counts the pixels whose sample `v` has `v / 16 == i`
/// (0...15 in bin 0, 240...255 in bin 15), so each channel's counts add up to `width × height`.
public struct ImageStatistics: Sendable, Hashable, Encodable {
    /// The number of bins of each channel's histogram.
    public static let histogramBins = 16

    /// `"png"` or `"netpbm"`.
    public var format: DecodedImage.Format
    /// Pixels per row.
    public var width: Int
    /// Rows.
    public var height: Int
    /// The channel names, in the order of every per-channel array.
    public var channels: [String]
    /// The mean sample of each channel (0...255).
    public var mean: [Double]
    /// The smallest sample of each channel.
    public var min: [Int]
    /// The largest sample of each channel.
    public var max: [Int]
    /// Always ``histogramBins``.
    public var histogramBins: Int
    /// Per channel, ``histogramBins`` pixel counts.
    public var histogram: [[Int]]

    enum CodingKeys: String, CodingKey {
        case format, width, height, channels, mean, min, max
        case histogramBins = "histogram_bins"
        case histogram
    }

    /// Computes the statistics of an image in one pass over its samples.
    /// - Parameter image: A decoded image.
    public init(of image: DecodedImage) {
        let channelCount = image.channels.count
        // Full 256-value counts per channel, folded into the bins at the end.
        var counts = [Int](repeating: 0, count: channelCount * 256)
        image.samples.withUnsafeBufferPointer { samples in
            counts.withUnsafeMutableBufferPointer { counts in
                var channel = 0
                for sample in samples {
                    counts[channel &* 256 &+ Int(sample)] &+= 1
                    channel = channel &+ 1 == channelCount ? 0 : channel &+ 1
                }
            }
        }
        let pixels = image.width * image.height
        let binWidth = 256 / ImageStatistics.histogramBins
        var mean: [Double] = []
        var minimum: [Int] = []
        var maximum: [Int] = []
        var histogram: [[Int]] = []
        for channel in 0..<channelCount {
            let values = Array(counts[(channel * 256)..<(channel * 256 + 256)])
            var sum = 0
            var bins = [Int](repeating: 0, count: ImageStatistics.histogramBins)
            for (value, count) in zip(0..., values) {
                sum += value * count
                bins[value / binWidth] += count
            }
            mean.append(pixels > 0 ? Double(sum) / Double(pixels) : 0)
            minimum.append(values.firstIndex { $0 > 0 } ?? 0)
            maximum.append(values.lastIndex { $0 > 0 } ?? 0)
            histogram.append(bins)
        }
        self.format = image.format
        self.width = image.width
        self.height = image.height
        self.channels = image.channels
        self.mean = mean
        self.min = minimum
        self.max = maximum
        self.histogramBins = ImageStatistics.histogramBins
        self.histogram = histogram
    }
}
