// swift-tools-version: 6.2
import PackageDescription

// A separate package so that `swift test` in the main package never builds the benchmarks.
// Run with `scripts/benchmark` (the protocol core) and `scripts/floor` (SwiftNIO's own cost).
let package = Package(
    name: "swift-mauth-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "swift-mauth", path: ".."),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
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
        ),
        // SwiftNIO alone, with nothing of swift-mauth's: the floor `scripts/floor` sets beside nginx.
        .executableTarget(
            name: "NIOFloor",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
    ]
)
