public import AsyncHTTPClient
import NIOPosix
import NIOSSL

/// Runs `body` with a new `HTTPClient` that accepts the tests' self-signed certificates, and shuts
/// the client down afterwards, whether `body` returned or threw.
///
/// An `HTTPClient` dropped without `shutdown()` traps in debug builds, which would turn one
/// failed expectation into a crash of the whole test process.
public func withHTTPClient<Result>(
    http2: Bool = true,
    _ body: (HTTPClient) async throws -> Result
) async throws -> Result {
    var configuration = HTTPClient.Configuration()
    configuration.tlsConfiguration = .makeClientConfiguration()
    configuration.tlsConfiguration?.certificateVerification = .none
    configuration.httpVersion = http2 ? .automatic : .http1Only
    let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
    let outcome: Swift.Result<Result, any Error>
    do {
        outcome = .success(try await body(client))
    } catch {
        outcome = .failure(error)
    }
    try await client.shutdown()
    return try outcome.get()
}
