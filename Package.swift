// swift-tools-version: 6.1
import PackageDescription

let strictSwift: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "swift-mauth",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "MAuth", targets: ["MAuth"]),
        .library(name: "MAuthConformance", targets: ["MAuthConformance"]),
        .executable(name: "mauth", targets: ["mauth"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"]), .brew(["openssl@3"])]
        ),
        .target(
            name: "MAuth",
            dependencies: [
                "COpenSSL",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSwift
        ),
        .target(
            name: "MAuthConformance",
            dependencies: ["MAuth"],
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "mauth",
            dependencies: [
                "MAuth",
                "MAuthConformance",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "SignAndVerify",
            dependencies: ["MAuth"],
            path: "Examples/SignAndVerify",
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "MAuthTests",
            dependencies: ["MAuth", "MAuthConformance"],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "mauthCLITests",
            dependencies: ["mauth"],
            swiftSettings: strictSwift
        ),
    ]
)
