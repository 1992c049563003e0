// swift-tools-version: 6.1
import PackageDescription

// A separate package so that `swift test` in the main package never builds the benchmarks.
// Run with `swift run -c release --package-path Benchmarks MAuthBenchmarks` (see README).
let package = Package(
    name: "swift-mauth-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "swift-mauth", path: "..")
    ],
    targets: [
        .executableTarget(
            name: "MAuthBenchmarks",
            dependencies: [.product(name: "MAuth", package: "swift-mauth")]
        )
    ]
)
