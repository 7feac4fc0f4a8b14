// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "LitUV",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "LitUV", targets: ["LitUV"]),
        .library(name: "LitUVOpenAI", targets: ["LitUVOpenAI"]),
        .library(name: "LitUVOpenInference", targets: ["LitUVOpenInference"]),
        .executable(name: "lituv-example", targets: ["LitUVExample"]),
        .executable(name: "lituv-bench", targets: ["Bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        .package(url: "https://github.com/swift-otel/swift-w3c-trace-context.git", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        .systemLibrary(name: "CUV", pkgConfig: "libuv", providers: [.apt(["libuv1-dev"])]),
        .systemLibrary(name: "CSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // libpng for the image-stats example model only (LitUV itself does not decode images).
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .target(
            name: "LitUV",
            dependencies: [
                "CUV",
                "CSSL",
                "CZlib",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "W3CTraceContext", package: "swift-w3c-trace-context"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .target(name: "LitUVOpenAI", dependencies: ["LitUV"]),
        .target(name: "LitUVOpenInference", dependencies: ["LitUV"]),
        .target(name: "ExampleModels", dependencies: ["LitUV", "LitUVOpenAI", "CPNG"]),
        // Command-line options shared by lituv-example and lituv-bench.
        .target(
            name: "LitUVCommandLine",
            dependencies: [.product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "LitUVExample",
            dependencies: [
                "LitUV",
                "LitUVOpenAI",
                "LitUVOpenInference",
                "ExampleModels",
                "LitUVCommandLine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "Bench",
            dependencies: [
                "LitUV",
                "CUV",
                "CSSL",
                "ExampleModels",
                "LitUVCommandLine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        .testTarget(
            name: "LitUVTests",
            dependencies: [
                "LitUV", "LitUVOpenAI", "LitUVOpenInference", "CUV", "CZlib", "ExampleModels",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "W3CTraceContext", package: "swift-w3c-trace-context"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
