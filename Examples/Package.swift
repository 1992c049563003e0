// swift-tools-version: 6.2
import PackageDescription

// The framework examples: the demo service of `mauth serve` on Hummingbird, Vapor and OpenAPI, a
// generated OpenAPI client that signs its calls, and the core API end to end. A package of its own,
// so that the library's manifest holds only what the libraries need.
//
//     swift run --package-path Examples HummingbirdDemo --port 8081
let package = Package(
    name: "swift-mauth-examples",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "swift-mauth", path: "..", traits: ["HummingbirdSupport", "VaporSupport", "OpenAPISupport"]),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/vapor/vapor.git", from: "4.122.3"),
        .package(url: "https://github.com/apple/swift-openapi-runtime.git", from: "1.13.4"),
        .package(url: "https://github.com/swift-server/swift-openapi-async-http-client.git", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-openapi-hummingbird.git", from: "2.1.0"),
    ],
    targets: [
        .executableTarget(
            name: "SignAndVerify",
            dependencies: [
                .product(name: "MAuth", package: "swift-mauth"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            path: "SignAndVerify"
        ),
        .executableTarget(
            name: "HummingbirdDemo",
            dependencies: [
                .product(name: "MAuth", package: "swift-mauth"),
                .product(name: "MAuthHummingbird", package: "swift-mauth"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            path: "HummingbirdDemo"
        ),
        .executableTarget(
            name: "VaporDemo",
            dependencies: [
                .product(name: "MAuth", package: "swift-mauth"),
                .product(name: "MAuthVapor", package: "swift-mauth"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Vapor", package: "vapor"),
            ],
            path: "VaporDemo"
        ),
        // Generated from openapi.yaml (see DemoAPI/README.md) and wrapped in `#if OpenAPISupport`
        // for the library's tests, which build it behind that trait.
        .target(
            name: "DemoAPI",
            dependencies: [.product(name: "OpenAPIRuntime", package: "swift-openapi-runtime")],
            path: "DemoAPI",
            exclude: ["openapi.yaml", "openapi-generator-config.yaml", "README.md", "generate"],
            swiftSettings: [.define("OpenAPISupport")]
        ),
        .executableTarget(
            name: "OpenAPIDemoServer",
            dependencies: [
                "DemoAPI",
                .product(name: "MAuth", package: "swift-mauth"),
                .product(name: "MAuthOpenAPI", package: "swift-mauth"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "OpenAPIHummingbird", package: "swift-openapi-hummingbird"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
            ],
            path: "OpenAPIDemoServer"
        ),
        .executableTarget(
            name: "OpenAPIDemoClient",
            dependencies: [
                "DemoAPI",
                .product(name: "MAuth", package: "swift-mauth"),
                .product(name: "MAuthOpenAPI", package: "swift-mauth"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "OpenAPIAsyncHTTPClient", package: "swift-openapi-async-http-client"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
            ],
            path: "OpenAPIDemoClient"
        ),
    ]
)

// The examples are held to the library's own language settings; the generated code is not.
for target in package.targets where target.name != "DemoAPI" {
    target.swiftSettings = [
        .enableUpcomingFeature("ExistentialAny"),
        .enableUpcomingFeature("InternalImportsByDefault"),
        .enableUpcomingFeature("MemberImportVisibility"),
        .enableUpcomingFeature("NonisolatedNonsendingByDefault"),
    ]
}
