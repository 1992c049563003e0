public import AsyncHTTPClient
import Locking
import NIOCore
import NIOPosix
public import NIOSSL
import Tracing

/// How a proxy reaches its upstreams.
///
/// A cleartext (`http://`) upstream is reached over this package's own keep-alive HTTP/1.1
/// connections, on the event loop of the request being forwarded: at most
/// `connectionsPerUpstream` open to one upstream, idle ones reused, a body read from the
/// upstream only as fast as the client takes it. An HTTPS upstream is reached through
/// AsyncHTTPClient, over HTTP/2 streams when it offers them; so is every upstream when the
/// process traces (AsyncHTTPClient carries the trace on).
///
/// For both, a request that finds every connection busy waits at most `timeout` for one (then the
/// proxy answers 503 with `Retry-After`), a new connection must be made within `timeout`, and
/// once a request is sent the upstream has `timeout` to start its response and to pause within
/// it (then 504). No redirect is followed: a signature would go wherever a 3xx points.
public final class UpstreamClient: Sendable {
    /// AsyncHTTPClient as configured for the upstreams: for HTTPS upstreams, traced calls, and
    /// any other call of the process that should share its connections.
    public let httpClient: HTTPClient
    /// The upstream timeout.
    public let timeout: Duration
    let connectionsPerUpstream: Int
    let connectionWait: TimeAmount
    let readTimeout: TimeAmount
    private let pools = Locked<[ProxyRoute.CleartextEndpoint: CleartextConnectionPool]>([:])

    /// Creates a client; shut it down with ``shutdown()``.
    ///
    /// - Parameters:
    ///   - timeout: the upstream timeout; 30 s by default.
    ///   - connectionsPerUpstream: the most HTTP/1.1 connections open to one upstream; 64 by
    ///     default.
    ///   - tls: the TLS settings for HTTPS upstreams; the system's trust roots by default.
    public convenience init(
        timeout: Duration = .seconds(30), connectionsPerUpstream: Int = 64, tls: TLSConfiguration? = nil
    ) {
        let amount = Self.timeAmount(timeout)
        self.init(
            timeout: timeout, connectionsPerUpstream: connectionsPerUpstream, tls: tls, connectionWait: amount,
            readTimeout: amount)
    }

    /// Creates a client whose wait for a connection and read timeout differ.
    init(
        timeout: Duration, connectionsPerUpstream: Int, tls: TLSConfiguration?, connectionWait: TimeAmount,
        readTimeout: TimeAmount
    ) {
        var configuration = HTTPClient.Configuration()
        configuration.httpVersion = .automatic
        configuration.redirectConfiguration = .disallow
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = connectionsPerUpstream
        configuration.timeout = .init(connect: connectionWait, read: readTimeout)
        configuration.tlsConfiguration = tls
        self.httpClient = HTTPClient(
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
        self.traces = httpClient.tracer.map { !($0 is NoOpTracer) } ?? false
        self.timeout = timeout
        self.connectionsPerUpstream = connectionsPerUpstream
        self.connectionWait = connectionWait
        self.readTimeout = readTimeout
    }

    /// Closes the idle connections and shuts AsyncHTTPClient down; call it once no request is
    /// under way.
    public func shutdown() async throws {
        for pool in pools.withLock({ Array($0.values) }) { pool.closeIdle() }
        try await httpClient.shutdown()
    }

    /// Whether the process traces: a tracer other than the no-op one was bootstrapped before the
    /// client was made.
    let traces: Bool

    /// Where requests to `route` go over this package's connections: a cleartext upstream, when
    /// the process does not trace; `nil` for AsyncHTTPClient.
    func ownConnectionsEndpoint(of route: ProxyRoute) -> ProxyRoute.CleartextEndpoint? {
        traces ? nil : route.cleartextEndpoint
    }

    /// The connections to `endpoint`.
    func pool(for endpoint: ProxyRoute.CleartextEndpoint) -> CleartextConnectionPool {
        pools.withLock { pools in
            if let pool = pools[endpoint] { return pool }
            let pool = CleartextConnectionPool(
                host: endpoint.host, port: endpoint.port, maximumConnections: connectionsPerUpstream,
                connectionWait: connectionWait, readTimeout: readTimeout)
            pools[endpoint] = pool
            return pool
        }
    }

    private static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
