public import AsyncHTTPClient
import NIOCore
public import NIOSSL

extension HTTPClient.Configuration {
    /// The configuration of a proxy's client to its upstreams.
    ///
    /// - It follows no redirects: a signature would go wherever a 3xx points.
    /// - It reports a refused connection at once rather than retrying until the timeout.
    /// - At most `connectionsPerUpstream` HTTP/1.1 connections are open to one upstream; a
    ///   request that finds them all busy waits at most `timeout` for one (then the proxy answers
    ///   503 with `Retry-After`). An HTTPS upstream that offers HTTP/2 is used over multiplexed
    ///   streams instead.
    /// - Once a request is sent, the upstream has `timeout` to start its response, and to pause
    ///   within it.
    ///
    /// - Parameters:
    ///   - timeout: the upstream timeout.
    ///   - connectionsPerUpstream: the HTTP/1.1 pool size for each upstream; 64 by default.
    ///   - tls: the TLS settings for HTTPS upstreams; the system's trust roots by default.
    public static func proxyUpstream(
        timeout: Duration, connectionsPerUpstream: Int = 64, tls: TLSConfiguration? = nil
    ) -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.httpVersion = .automatic
        configuration.redirectConfiguration = .disallow
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = connectionsPerUpstream
        let (seconds, attoseconds) = timeout.components
        let amount = TimeAmount.nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        configuration.timeout = .init(connect: amount, read: amount)
        configuration.tlsConfiguration = tls
        return configuration
    }
}
