// swift-tools-version:6.1
// LitUV micro-benchmarks (ordo-one/benchmark). Run from this directory:
//   swift package benchmark                                   # all benchmarks
//   swift package benchmark thresholds check                  # compare with Thresholds/ (malloc counts)
//   swift package --allow-writing-to-package-directory benchmark thresholds update
import PackageDescription

import struct Foundation.URL

/// The LitUV package is the parent directory; a path dependency's identity is its directory name, which depends on
/// where the repository was cloned.
let litUVDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let litUVIdentity = litUVDirectory.lastPathComponent

let targets: [Target] = [
    .executableTarget(
        name: "LitUVBenchmarks",
        dependencies: [
            .product(name: "Benchmark", package: "benchmark"),
            .product(name: "LitUV", package: litUVIdentity),
        ],
        path: "Benchmarks/LitUVBenchmarks",
        plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    ),
    // The internal benchmarks (parser, response encoder, queues, JSON) use LitUV's `@_spi(Benchmarks)` surface.
    .executableTarget(
        name: "LitUVInternalBenchmarks",
        dependencies: [
            .product(name: "Benchmark", package: "benchmark"),
            .product(name: "LitUV", package: litUVIdentity),
        ],
        path: "Benchmarks/LitUVInternalBenchmarks",
        plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    ),
]

let package = Package(
    name: "LitUVBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: targets,
    swiftLanguageModes: [.v6]
)
