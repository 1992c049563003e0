// swift-tools-version: 6.2
import PackageDescription

let strictSwift: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("NonisolatedNonsendingByDefault"),
]

/// A product of a framework package that only a trait brings in: with the trait off, the package
/// is neither resolved nor built.
func product(_ name: String, _ package: String, trait: String) -> Target.Dependency {
    .product(name: name, package: package, condition: .when(traits: [trait]))
}

/// What the tests that run servers and clients over real sockets share.
let socketTestDependencies: [Target.Dependency] = [
    "BodySpool",
    "HTTPPipeline",
    "Locking",
    "HTTPPipelineServer",
    "MAuth",
    "MAuthClient",
    "MAuthMiddleware",
    "MAuthTestSupport",
    "mauth",
    .product(name: "AsyncHTTPClient", package: "async-http-client"),
    .product(name: "HTTPTypes", package: "swift-http-types"),
    .product(name: "Logging", package: "swift-log"),
    .product(name: "NIOCore", package: "swift-nio"),
    .product(name: "NIOHTTP1", package: "swift-nio"),
    .product(name: "NIOPosix", package: "swift-nio"),
    .product(name: "NIOSSL", package: "swift-nio-ssl"),
    .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
]

let package = Package(
    name: "swift-mauth",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "MAuth", targets: ["MAuth"]),
        .library(name: "BodySpool", targets: ["BodySpool"]),
        .library(name: "MAuthConformance", targets: ["MAuthConformance"]),
        .library(name: "MAuthService", targets: ["MAuthService"]),
        .library(name: "MAuthConfigurationFile", targets: ["MAuthConfigurationFile"]),
        .library(name: "MAuthClient", targets: ["MAuthClient"]),
        .library(name: "MAuthDevelopmentService", targets: ["MAuthDevelopmentService"]),
        .library(name: "HTTPPipeline", targets: ["HTTPPipeline"]),
        .library(name: "MAuthIntegration", targets: ["MAuthIntegration"]),
        .library(name: "MAuthMiddleware", targets: ["MAuthMiddleware"]),
        .library(name: "HTTPPipelineServer", targets: ["HTTPPipelineServer"]),
        .library(name: "MAuthProxy", targets: ["MAuthProxy"]),
        .library(name: "MAuthHummingbird", targets: ["MAuthHummingbird"]),
        .library(name: "MAuthVapor", targets: ["MAuthVapor"]),
        .library(name: "MAuthOpenAPI", targets: ["MAuthOpenAPI"]),
        .executable(name: "mauth", targets: ["mauth"]),
    ],
    traits: [
        .trait(name: "HummingbirdSupport", description: "MAuthHummingbird: a Hummingbird 2 router middleware."),
        .trait(name: "VaporSupport", description: "MAuthVapor: a Vapor 4 middleware."),
        .trait(
            name: "OpenAPISupport",
            description: "MAuthOpenAPI: swift-openapi-runtime client and server middlewares."),
        .trait(
            name: "OpenTelemetry",
            description: "mauth serve and proxy --otel-endpoint: spans exported over OTLP/HTTP with swift-otel."),
        .default(enabledTraits: ["OpenTelemetry"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0", traits: ["YAML"]),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0", traits: ["OTLPHTTP"]),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin.git", from: "1.5.0"),
        // Only resolved and built when their trait is enabled.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/vapor/vapor.git", from: "4.122.3"),
        .package(url: "https://github.com/apple/swift-openapi-runtime.git", from: "1.13.4", traits: []),
        .package(url: "https://github.com/swift-server/swift-openapi-async-http-client.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-openapi-urlsession.git", from: "1.4.0"),
        .package(url: "https://github.com/hummingbird-project/swift-openapi-hummingbird.git", from: "2.1.0"),
    ],
    targets: [
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"]), .brew(["openssl@3"])]
        ),
        .target(name: "RequestTargetSyntax"),
        .target(name: "Locking"),
        .target(
            name: "BodySpool",
            dependencies: ["Locking", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .target(
            name: "MAuth",
            dependencies: [
                "Locking",
                "COpenSSL",
                "RequestTargetSyntax",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        .target(
            name: "HTTPPipeline",
            dependencies: [
                "Locking",
                "RequestTargetSyntax",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "MAuthIntegration",
            dependencies: [
                "MAuth",
                "BodySpool",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "MAuthMiddleware",
            dependencies: [
                "MAuth",
                "MAuthIntegration",
                "BodySpool",
                "HTTPPipeline",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "HTTPPipelineServer",
            dependencies: [
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                "Locking",
                "HTTPPipeline",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP2", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        .target(
            name: "MAuthConfigurationFile",
            dependencies: [
                "MAuth",
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .target(
            name: "MAuthService",
            dependencies: [
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                "Locking",
                "MAuth",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .target(
            name: "MAuthClient",
            dependencies: [
                "BodySpool",
                "MAuth",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .target(
            name: "MAuthProxy",
            dependencies: [
                "BodySpool",
                "Locking",
                "MAuth",
                "MAuthClient",
                "MAuthIntegration",
                "MAuthMiddleware",
                "HTTPPipeline",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        .target(
            name: "MAuthHummingbird",
            dependencies: [
                "BodySpool",
                "MAuth",
                "MAuthIntegration",
                product("Hummingbird", "hummingbird", trait: "HummingbirdSupport"),
            ]
        ),
        .target(
            name: "MAuthVapor",
            dependencies: [
                "BodySpool",
                "Locking",
                "MAuth",
                "MAuthIntegration",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                product("Vapor", "vapor", trait: "VaporSupport"),
                product("NIOHTTPTypesHTTP1", "swift-nio-extras", trait: "VaporSupport"),
            ]
        ),
        .target(
            name: "MAuthOpenAPI",
            dependencies: [
                "BodySpool",
                "MAuth",
                "MAuthIntegration",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                product("OpenAPIRuntime", "swift-openapi-runtime", trait: "OpenAPISupport"),
            ]
        ),
        .target(
            name: "MAuthDevelopmentService",
            dependencies: [
                "MAuth",
                "HTTPPipeline",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .target(
            name: "MAuthConformance",
            dependencies: ["MAuth"]
        ),
        .executableTarget(
            name: "mauth",
            dependencies: [
                "BodySpool",
                "Locking",
                "MAuth",
                "MAuthConfigurationFile",
                "MAuthConformance",
                "MAuthMiddleware",
                "MAuthService",
                "MAuthClient",
                "MAuthDevelopmentService",
                "MAuthProxy",
                "HTTPPipeline",
                "HTTPPipelineServer",
                "DemoApplication",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP2", package: "swift-nio-extras"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                product("OTel", "swift-otel", trait: "OpenTelemetry"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        .target(
            name: "DemoApplication",
            dependencies: [
                "COpenSSL",
                "HTTPPipeline",
                "MAuth",
                "MAuthMiddleware",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
        ),
        // The OpenAPI middlewares' tests use the demo API's generated code (Examples/DemoAPI, see its
        // README), under a module name of their own; not written by hand, so not held to the
        // package's own settings (see the end of this file).
        .target(
            name: "GeneratedDemoAPI",
            dependencies: [
                product("OpenAPIRuntime", "swift-openapi-runtime", trait: "OpenAPISupport")
            ],
            path: "Examples/DemoAPI",
            exclude: ["openapi.yaml", "openapi-generator-config.yaml", "README.md", "generate"]
        ),
        // The fuzz targets' checks, and the one executable that runs them: under libFuzzer when
        // built by scripts/fuzz, otherwise as a replayer of saved inputs.
        .target(
            name: "FuzzChecks",
            dependencies: [
                "HTTPPipeline",
                "HTTPPipelineServer",
                "MAuth",
                "MAuthDevelopmentService",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Fuzz/FuzzChecks"
        ),
        .executableTarget(
            name: "MAuthFuzz",
            dependencies: ["FuzzChecks"],
            path: "Fuzz/MAuthFuzz"
        ),
        .target(
            name: "MAuthTestSupport",
            dependencies: [
                "Locking",
                "MAuth",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Tests/MAuthTestSupport"
        ),
        .testTarget(
            name: "MAuthTests",
            dependencies: [
                "MAuth", "MAuthConformance", "MAuthTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
            ]
        ),
        .testTarget(
            name: "BodySpoolTests",
            dependencies: ["BodySpool", "MAuthTestSupport", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(
            name: "HTTPPipelineTests",
            dependencies: [
                "BodySpool",
                "HTTPPipeline",
                "Locking",
                "MAuth",
                "MAuthMiddleware",
                "MAuthTestSupport",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "HTTPPipelineServerTests",
            dependencies: socketTestDependencies + [
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP2", package: "swift-nio-extras"),
            ]
        ),
        .testTarget(
            name: "MAuthServiceTests",
            dependencies: socketTestDependencies + [
                "MAuthDevelopmentService", "MAuthService",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        .testTarget(
            name: "MAuthClientTests",
            dependencies: socketTestDependencies
        ),
        .testTarget(
            name: "MAuthProxyTests",
            dependencies: socketTestDependencies + ["MAuthProxy"]
        ),
        .testTarget(
            name: "MAuthHummingbirdTests",
            dependencies: [
                "MAuth",
                "MAuthHummingbird",
                "MAuthMiddleware",
                "MAuthTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                product("Hummingbird", "hummingbird", trait: "HummingbirdSupport"),
                product("HummingbirdTesting", "hummingbird", trait: "HummingbirdSupport"),
                product("HummingbirdAuth", "hummingbird-auth", trait: "HummingbirdSupport"),
            ]
        ),
        .testTarget(
            name: "MAuthConfigurationFileTests",
            dependencies: ["MAuth", "MAuthConfigurationFile", "MAuthTestSupport"]
        ),
        .testTarget(
            name: "MAuthVaporTests",
            dependencies: [
                "BodySpool",
                "Locking",
                "MAuth",
                "MAuthVapor",
                "MAuthMiddleware",
                "MAuthTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                product("VaporTesting", "vapor", trait: "VaporSupport"),
            ]
        ),
        .testTarget(
            name: "MAuthOpenAPITests",
            dependencies: socketTestDependencies + [
                "GeneratedDemoAPI",
                "MAuthOpenAPI",
                product("Hummingbird", "hummingbird", trait: "OpenAPISupport"),
                product("HummingbirdTesting", "hummingbird", trait: "OpenAPISupport"),
                product("OpenAPIRuntime", "swift-openapi-runtime", trait: "OpenAPISupport"),
                product("OpenAPIAsyncHTTPClient", "swift-openapi-async-http-client", trait: "OpenAPISupport"),
                product("OpenAPIURLSession", "swift-openapi-urlsession", trait: "OpenAPISupport"),
                product("OpenAPIHummingbird", "swift-openapi-hummingbird", trait: "OpenAPISupport"),
            ]
        ),
        .testTarget(
            name: "FuzzCorpusTests",
            dependencies: ["FuzzChecks"]
        ),
        .testTarget(
            name: "mauthCLITests",
            dependencies: ["mauth", "MAuthTestSupport"]
        ),
    ]
)

// Every target written by hand is held to the same language settings.
for target in package.targets where target.type != .system && target.name != "GeneratedDemoAPI" {
    target.swiftSettings = strictSwift
}
