// swift-tools-version:6.1
// LitUV micro-benchmarks (ordo-one/benchmark). Run from this directory:
//   swift package benchmark                                   # all benchmarks
//   swift package benchmark thresholds check                  # compare with Thresholds/ (malloc counts)
//   swift package --allow-writing-to-package-directory benchmark thresholds update
import PackageDescription

import class Foundation.FileManager
import struct Foundation.URL

/// The LitUV package is the parent directory; a path dependency's identity is its directory name, which depends on
/// where the repository was cloned.
let litUVDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let litUVIdentity = litUVDirectory.lastPathComponent

/// The internal benchmarks (parser, response encoder, queues, JSON) need LitUV's `@_spi(Benchmarks)` surface; they
/// are built only when LitUV has it (see docs/PERFORMANCE.md for the list of declarations).
///
/// SwiftPM caches the evaluation of this manifest keyed on this file's contents, not on the LitUV files read here: if
/// the attribute is added to or removed from LitUV, run once with `swift package --manifest-cache none ...` (or
/// edit this file) so that the target list is recomputed.
let spiFiles = [
    "Sources/LitUV/HTTP/HTTPRequestParser.swift",
    "Sources/LitUV/HTTP/HTTPResponse.swift",
    "Sources/LitUV/Serving/BoundedMPMCQueue.swift",
]
let hasBenchmarkSPI = spiFiles.allSatisfy { file in
    let path = litUVDirectory.appendingPathComponent(file).path
    guard let data = FileManager.default.contents(atPath: path) else { return false }
    return String(decoding: data, as: UTF8.self).contains("@_spi(Benchmarks)")
}

var targets: [Target] = [
    .executableTarget(
        name: "LitUVBenchmarks",
        dependencies: [
            .product(name: "Benchmark", package: "benchmark"),
            .product(name: "LitUV", package: litUVIdentity),
        ],
        path: "Benchmarks/LitUVBenchmarks",
        plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    )
]
if hasBenchmarkSPI {
    targets.append(
        .executableTarget(
            name: "LitUVInternalBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "LitUV", package: litUVIdentity),
            ],
            path: "Benchmarks/LitUVInternalBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    )
}

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
