public import AsyncHTTPClient
import NIOPosix
import NIOSSL

/// Runs `body`, then `cleanup`, whether `body` returned or threw.
///
/// Tests own servers and HTTP clients that must be shut down asynchronously; an
/// `HTTPClient` that is dropped without `shutdown()` traps in debug builds, which would turn one
/// failed expectation into a crash of the whole test process.
public func withCleanup<Result>(
    _ body: () async throws -> Result,
    cleanup: () async throws -> Void
) async throws -> Result {
    let outcome: Swift.Result<Result, any Error>
    do {
        outcome = .success(try await body())
    } catch {
        outcome = .failure(error)
    }
    try await cleanup()
    return try outcome.get()
}

/// Runs `body` with a new `HTTPClient` that accepts the tests' self-signed certificates, and shuts
/// the client down afterwards, whether `body` returned or threw.
public func withHTTPClient<Result>(
    http2: Bool = true,
    _ body: (HTTPClient) async throws -> Result
) async throws -> Result {
    var configuration = HTTPClient.Configuration()
    configuration.tlsConfiguration = .makeClientConfiguration()
    configuration.tlsConfiguration?.certificateVerification = .none
    configuration.httpVersion = http2 ? .automatic : .http1Only
    let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
    return try await withCleanup {
        try await body(client)
    } cleanup: {
        try await client.shutdown()
    }
}
