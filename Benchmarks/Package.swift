// swift-tools-version: 6.2
import PackageDescription

// A separate package so that `swift test` in the main package never builds the benchmarks.
// Run with `swift run -c release --package-path Benchmarks MAuthBenchmarks` (see README).
let package = Package(
    name: "swift-mauth-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "swift-mauth", path: ".."),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        .executableTarget(
            name: "MAuthBenchmarks",
            dependencies: [
                .product(name: "MAuth", package: "swift-mauth"),
                .product(name: "MAuthService", package: "swift-mauth"),
                .product(name: "MAuthDevelopmentService", package: "swift-mauth"),
                .product(name: "HTTPPipeline", package: "swift-mauth"),
                .product(name: "HTTPPipelineServer", package: "swift-mauth"),
                .product(name: "Logging", package: "swift-log"),
            ]
        )
    ]
)
