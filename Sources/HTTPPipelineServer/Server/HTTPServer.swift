import Foundation
public import HTTPPipeline
import HTTPTypes
import Locking
public import Logging
public import Metrics
import NIOCore
import NIOExtras
import NIOHTTP1
import NIOHTTP2
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOHTTPTypesHTTP2
import NIOPosix
import NIOSSL
import NIOTLS
public import ServiceLifecycle
public import Tracing

/// A reference HTTP/1.1 and HTTP/2 server for any pipeline, built on SwiftNIO.
///
/// ```swift
/// let server = HTTPServer(configuration: .init(port: 8080), handler: pipeline)
/// try await server.runService()  // until SIGTERM or SIGINT, then a graceful shutdown
/// ```
///
/// - The cleartext port serves HTTP/1.1 (keep-alive, pipelining, chunked bodies) and HTTP/2
///   with prior knowledge; the optional TLS port negotiates `h2` or `http/1.1` by ALPN. One
///   pipeline serves both protocols.
/// - Graceful shutdown (through swift-service-lifecycle): the server stops accepting, finishes
///   in-flight requests, sends GOAWAY on HTTP/2, and returns.
/// - Limits answer clearly: 431 for a large head, 413 for a large body, 400 for a request that
///   cannot be parsed; idle and slow connections are closed.
/// - Every request is logged on one line: method, target, status, protocol, duration.
/// - Handlers run on the event loop of their request's connection (as tasks that prefer it as
///   their executor), so a request never waits for, or changes, threads between the socket and
///   the handler. Move work that takes long or blocks onto another executor, for instance with
///   `withTaskExecutorPreference(globalConcurrentExecutor)`: meanwhile it holds up the other
///   connections that share the loop.
public final class HTTPServer: Service, Sendable {
    /// The ports the server listens on, known once it is running.
    public struct ListeningPorts: Sendable, Hashable {
        /// The cleartext port.
        public let cleartext: Int
        /// The TLS port, when TLS is configured.
        public let tls: Int?
    }

    typealias HTTP2Connection = HTTP2StreamTasks
    /// What serving an HTTP/1.1 connection needs: the ends of its pipeline, and what its access log
    /// says of it.
    typealias HTTP1Connection = (ends: HTTP1RequestPartsHandler.Ends, connection: RequestResponder.Connection)
    typealias Negotiated = NIONegotiatedHTTPVersion<HTTP1Connection, HTTP2Connection>

    struct AcceptedConnection: Sendable {
        let channel: any Channel
        let negotiated: EventLoopFuture<Negotiated>
        /// The connection's read deadlines, from its acceptance on.
        let watchdog: ReadWatchdog
    }

    typealias Listener = NIOAsyncChannel<AcceptedConnection, Never>

    /// How serving ended: every connection finished, or the server must stop now (the grace period
    /// of a graceful shutdown is over, or the server's task was cancelled).
    private enum ShutdownPhase {
        case everyConnectionFinished
        case timeIsUp
    }

    let configuration: HTTPServerConfiguration
    let responder: RequestResponder
    let logger: Logger
    let connections = ConnectionRegistry()
    private let connectionLimiter: ConnectionLimiter
    /// How many connections the open-file limit leaves room for, when the server was created.
    private let connectionsAllowed = HTTPServerConfiguration.connectionsAllowedByOpenFileLimit
    private struct ListeningState {
        var outcome: Result<ListeningPorts, any Error>?
        var waiters: [CheckedContinuation<ListeningPorts, any Error>] = []
    }

    private let ports = Locked(ListeningState())

    /// Creates a server for `handler` (typically a ``/HTTPPipeline/Pipeline``). Errors thrown by
    /// the handler are rendered as ``/HTTPPipeline/Pipeline/respond(to:context:)`` renders them.
    ///
    /// - Parameters:
    ///   - configuration: where to listen, and the limits and deadlines.
    ///   - handler: what answers each request.
    ///   - logger: the server's life, its access log (at `info`) and its errors.
    ///   - metricsFactory: where each request is counted and timed, or `nil` (the default) for no
    ///     metrics: `http_server_requests_total` by `status` and `protocol`, and
    ///     `http_server_request_duration_seconds` by `protocol`.
    ///   - tracer: traces each request, or `nil` (the default) for no tracing: a server span per
    ///     request, in the trace the request's `traceparent` names (or whatever the tracer
    ///     propagates), with the handler run under this tracer and the span's context, so that
    ///     its spans (authentication, calls it makes) join the trace.
    public init(
        configuration: HTTPServerConfiguration, handler: some Handler, logger: Logger = Logger(label: "http.server"),
        metricsFactory: (any MetricsFactory)? = nil, tracer: (any Tracer)? = nil
    ) {
        self.configuration = configuration
        self.logger = logger
        self.connectionLimiter = ConnectionLimiter(
            maximum: min(configuration.maxConnections, connectionsAllowed))
        self.responder = RequestResponder(
            pipeline: Pipeline(middlewares: [], handler: handler),
            configuration: configuration,
            logger: logger,
            metrics: metricsFactory.map(RequestMetrics.init(factory:)),
            tracer: tracer
        )
    }

    /// The ports the server listens on; waits until it is listening.
    public func listeningPorts() async throws -> ListeningPorts {
        try await withCheckedThrowingContinuation { continuation in
            let outcome = ports.withLock { state in
                if state.outcome == nil { state.waiters.append(continuation) }
                return state.outcome
            }
            if let outcome { continuation.resume(with: outcome) }
        }
    }

    /// Listens and serves until graceful shutdown, then finishes in-flight requests and returns.
    public func run() async throws {
        let cleartext: Listener
        let secure: Listener?
        do {
            cleartext = try await listen(port: configuration.port, tls: nil)
        } catch {
            resolveWaiters(.failure(error))
            throw error
        }
        do {
            if let tls = configuration.tls {
                secure = try await listen(port: tls.port, tls: try Self.sslContext(tls))
            } else {
                secure = nil
            }
        } catch {
            try? await cleartext.channel.close()
            resolveWaiters(.failure(error))
            throw error
        }
        let listening = ListeningPorts(
            cleartext: cleartext.channel.localAddress?.port ?? configuration.port,
            tls: secure.map { $0.channel.localAddress?.port ?? 0 }
        )
        resolveWaiters(.success(listening))
        if configuration.maxConnections > connectionsAllowed {
            logger.warning(
                "The connection limit is more than the open-file limit allows; lowered",
                metadata: [
                    "configured": "\(configuration.maxConnections)",
                    "limit": "\(connectionsAllowed)",
                ])
        }
        let eventLoops = Array(MultiThreadedEventLoopGroup.singleton.makeIterator()).count
        if let cores = UsableCores.count, eventLoops > cores {
            logger.warning(
                "More event loops than cores this process may run on: they take turns, and requests wait for them; set NIO_SINGLETON_GROUP_LOOP_COUNT",
                metadata: ["event_loops": "\(eventLoops)", "cores": "\(cores)"])
        }
        logger.info(
            "Listening",
            metadata: [
                "http.address": "\(configuration.host):\(listening.cleartext)",
                "https.address": "\(listening.tls.map { "\(configuration.host):\($0)" } ?? "-")",
            ]
        )

        try await withThrowingTaskGroup(of: ShutdownPhase.self) { group in
            group.addTask {
                try await withThrowingDiscardingTaskGroup { group in
                    group.addTask { try await self.accept(on: cleartext, secure: false) }
                    if let secure {
                        group.addTask { try await self.accept(on: secure, secure: true) }
                    }
                }
                return .everyConnectionFinished
            }
            group.addTask {
                // Cancelled instead of shut down gracefully, the server stops at once.
                if (try? await gracefulShutdown()) != nil {
                    self.logger.info("Shutting down: finishing in-flight requests")
                    cleartext.channel.close(promise: nil)
                    secure?.channel.close(promise: nil)
                    self.connections.quiesceAll()
                    try? await Task.sleep(for: self.configuration.shutdownGracePeriod)
                }
                return .timeIsUp
            }
            defer { group.cancelAll() }
            if try await group.next() == .timeIsUp {
                // What is still open is closed, and the handlers still running are cancelled as
                // the group ends.
                cleartext.channel.close(promise: nil)
                secure?.channel.close(promise: nil)
                let closed = connections.closeAll()
                if closed > 0 {
                    logger.warning("Closing the connections still open", metadata: ["connections": "\(closed)"])
                }
            }
        }
        logger.info("Stopped")
    }

    private func resolveWaiters(_ outcome: Result<ListeningPorts, any Error>) {
        let waiters = ports.withLock { state in
            state.outcome = outcome
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(with: outcome) }
    }

    /// Binds `port`, or says in words which address could not be used and why.
    private func listen(port: Int, tls: NIOSSLContext?) async throws(HTTPServerError) -> Listener {
        do {
            return try await bind(port: port, tls: tls)
        } catch {
            let reason =
                if let error = error as? IOError { String(cString: strerror(error.errnoCode)) } else { "\(error)" }
            throw HTTPServerError(.cannotListen, "cannot listen on \(configuration.host):\(port): \(reason)")
        }
    }

    private func bind(port: Int, tls: NIOSSLContext?) async throws -> Listener {
        let configuration = self.configuration
        let limiter = connectionLimiter
        let responder = self.responder
        let logger = self.logger
        return try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: Int32(ServerTuning.listenBacklog))
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.maxMessagesPerRead, value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(limiter.makeAcceptGate())
                }
            }
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: UInt(ServerTuning.readsPerTurn))
            .bind(host: configuration.host, port: port) { channel in
                let watchdog = ReadWatchdog.watching(channel, configuration: configuration)
                let openedAt = watchdog.now
                return channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(WriteTimeoutHandler(timeout: configuration.writeTimeout))
                    if let tls {
                        try pipeline.addHandler(NIOSSLServerHandler(context: tls))
                    } else {
                        try pipeline.addHandler(HTTP2PrefaceDetector())
                    }
                }.flatMap {
                    channel.configureHTTP2AsyncSecureUpgrade(
                        http1ConnectionInitializer: { channel in
                            channel.eventLoop.makeCompletedFuture {
                                try Self.configureHTTP1(
                                    channel, configuration: configuration, responder: responder, secure: tls != nil,
                                    watchdog: watchdog, openedAt: openedAt)
                            }
                        },
                        http2ConnectionInitializer: { channel in
                            channel.eventLoop.makeCompletedFuture {
                                try Self.configureHTTP2(
                                    channel, configuration: configuration, responder: responder, secure: tls != nil,
                                    watchdog: watchdog, logger: logger)
                            }
                        }
                    )
                }.map { negotiated in
                    Self.closeUnlessNegotiated(
                        channel, negotiated: negotiated, within: configuration.requestHeadTimeout, of: openedAt,
                        watchdog: watchdog)
                    return AcceptedConnection(channel: channel, negotiated: negotiated, watchdog: watchdog)
                }
            }
    }

    /// Closes `channel` unless its protocol (TLS handshake included) is agreed within `timeout` of
    /// `openedAt`. This is the first head's deadline while no HTTP handler is there to keep it;
    /// an HTTP/1.1 connection's state machine keeps it from then on, from the same start.
    private static func closeUnlessNegotiated(
        _ channel: any Channel, negotiated: EventLoopFuture<Negotiated>, within timeout: Duration,
        of openedAt: ContinuousClock.Instant, watchdog: ReadWatchdog
    ) {
        let negotiating = NIOLoopBoundBox(true, eventLoop: channel.eventLoop)
        negotiated.whenComplete { _ in negotiating.value = false }
        watchdog.addCheck { now in
            if negotiating.value, openedAt.duration(to: now) > timeout { channel.close(promise: nil) }
        }
    }

    private func accept(on listener: Listener, secure: Bool) async throws {
        try await listener.executeThenClose { inbound in
            try await withThrowingDiscardingTaskGroup { group in
                for try await connection in inbound {
                    group.addTask(executorPreference: EventLoopTaskExecutor(connection.channel.eventLoop)) {
                        await self.serve(connection, secure: secure)
                    }
                }
            }
        }
    }

    private func serve(_ connection: AcceptedConnection, secure: Bool) async {
        connections.register(connection.channel)
        defer { connections.unregister(connection.channel) }
        do {
            let negotiated = try await connection.negotiated.get()
            connections.negotiated(connection.channel)
            switch negotiated {
            case .http1_1(let http1):
                await serveHTTP1(http1, channel: connection.channel, watchdog: connection.watchdog)
            case .http2(let streams):
                await serveHTTP2(connection.channel, streams: streams)
            }
        } catch {
            logger.debug("Connection ended before a protocol was agreed", metadata: ["error": "\(error)"])
        }
    }

}
