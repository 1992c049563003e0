import Foundation
public import HTTPPipeline
import HTTPTypes
public import Logging
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
import Synchronization

/// A reference HTTP/1.1 and HTTP/2 server for any pipeline, built on SwiftNIO.
///
/// ```swift
/// let server = HTTPServer(configuration: .init(port: 8080), handler: pipeline)
/// let services = ServiceGroup(
///     configuration: .init(services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
/// )
/// try await services.run()
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
public final class HTTPServer: Service, Sendable {
    /// The ports the server listens on, known once it is running.
    public struct ListeningPorts: Sendable, Hashable {
        /// The cleartext port.
        public let cleartext: Int
        /// The TLS port, when TLS is configured.
        public let tls: Int?
    }

    private typealias HTTPStream = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>
    private typealias HTTP2Connection = (NIOHTTP2Handler.AsyncStreamMultiplexer<HTTPStream>, ReadWatchdog)
    private typealias HTTP1Connection = (HTTPStream, HTTP1KeepAliveTracker, ReadWatchdog)
    private typealias Negotiated = NIONegotiatedHTTPVersion<HTTP1Connection, HTTP2Connection>

    private struct AcceptedConnection: Sendable {
        let channel: any Channel
        let negotiated: EventLoopFuture<Negotiated>
        let accepted: ContinuousClock.Instant
    }

    private typealias Listener = NIOAsyncChannel<AcceptedConnection, Never>

    /// How serving ended: every connection finished, or the server must stop now (the grace period
    /// of a graceful shutdown is over, or the server's task was cancelled).
    private enum ShutdownPhase {
        case everyConnectionFinished
        case timeIsUp
    }

    /// How long, in all, a connection that is closing waits for the rest of a request body it
    /// will not serve.
    private static let lingerAfterClose = Duration.seconds(2)
    /// How much of such a request it reads and drops before closing anyway.
    private static let maximumDroppedAfterClose = 4 * 1024 * 1024

    private let configuration: HTTPServerConfiguration
    private let responder: RequestResponder
    private let logger: Logger
    private let connections = ConnectionRegistry()
    private let connectionLimiter: ConnectionLimiter
    /// How many connections the open-file limit leaves room for, when the server was created.
    private let connectionsAllowed = HTTPServerConfiguration.connectionsAllowedByOpenFileLimit
    private struct ListeningState {
        var outcome: Result<ListeningPorts, any Error>?
        var waiters: [CheckedContinuation<ListeningPorts, any Error>] = []
    }

    private let ports = Mutex(ListeningState())

    /// Creates a server for `handler` (typically a ``HTTPPipeline/Pipeline``). Errors thrown by
    /// the handler are rendered as ``HTTPPipeline/Pipeline/respond(to:context:)`` renders them.
    public init(
        configuration: HTTPServerConfiguration, handler: some Handler, logger: Logger = Logger(label: "http.server")
    ) {
        self.configuration = configuration
        self.logger = logger
        self.connectionLimiter = ConnectionLimiter(
            maximum: min(configuration.maxConnections, connectionsAllowed))
        self.responder = RequestResponder(
            pipeline: Pipeline(middlewares: [], handler: handler),
            configuration: configuration,
            logger: logger
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

    private static func sslContext(_ tls: HTTPServerConfiguration.TLS) throws(HTTPServerError) -> NIOSSLContext {
        func unreadable(_ what: String, _ path: String, _ error: any Error) -> HTTPServerError {
            let reason =
                FileManager.default.isReadableFile(atPath: path)
                ? "it is not PEM text of the right kind (\(error))" : "it does not exist or cannot be read"
            return HTTPServerError(.invalidTLSConfiguration, "cannot load the TLS \(what) '\(path)': \(reason)")
        }
        let chain: [NIOSSLCertificateSource]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(tls.certificateChainFile).map { .certificate($0) }
        } catch {
            throw unreadable("certificate chain", tls.certificateChainFile, error)
        }
        guard !chain.isEmpty else {
            throw HTTPServerError(
                .invalidTLSConfiguration,
                "cannot load the TLS certificate chain '\(tls.certificateChainFile)': it holds no certificate")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: tls.privateKeyFile, format: .pem)
        } catch {
            throw unreadable("private key", tls.privateKeyFile, error)
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain, privateKey: .privateKey(key))
        configuration.applicationProtocols = ["h2", "http/1.1"]
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw HTTPServerError(
                .invalidTLSConfiguration,
                "the TLS certificate chain '\(tls.certificateChainFile)' and private key '\(tls.privateKeyFile)' "
                    + "cannot be used together (\(error))")
        }
    }

    private func bind(port: Int, tls: NIOSSLContext?) async throws -> Listener {
        let configuration = self.configuration
        let limiter = connectionLimiter
        let logger = self.logger
        return try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.maxMessagesPerRead, value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(limiter.makeAcceptGate())
                }
            }
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .bind(host: configuration.host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
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
                                try Self.configureHTTP1(channel, configuration: configuration, secure: tls != nil)
                            }
                        },
                        http2ConnectionInitializer: { channel in
                            channel.eventLoop.makeCompletedFuture {
                                try Self.configureHTTP2(channel, configuration: configuration, logger: logger)
                            }
                        }
                    )
                }.map { negotiated in
                    let handshakeDeadline = channel.eventLoop.scheduleTask(
                        in: TimeAmount(configuration.requestHeadTimeout)
                    ) {
                        channel.close(promise: nil)
                    }
                    negotiated.whenComplete { _ in handshakeDeadline.cancel() }
                    return AcceptedConnection(channel: channel, negotiated: negotiated, accepted: .now)
                }
            }
    }

    /// The handlers of an HTTP/1.1 connection, from the bytes to the request parts.
    private static func configureHTTP1(
        _ channel: any Channel, configuration: HTTPServerConfiguration, secure: Bool
    ) throws -> HTTP1Connection {
        let pipeline = channel.pipeline.syncOperations
        let watchdog = ReadWatchdog(eventLoop: channel.eventLoop, shortestDeadline: configuration.shortestDeadline)
        channel.closeFuture.whenComplete { _ in watchdog.stop() }
        let readAhead = HTTP1ReadAhead(
            channel: channel,
            maxWaiting: configuration.maxPipelinedRequests,
            headTimeout: configuration.requestHeadTimeout,
            watchdog: watchdog
        )
        // What one read cycle takes arrives whole, however far ahead of its responses: four reads
        // (at most 256 KiB) bound what a connection that pipelines without reading makes the
        // server hold.
        try channel.syncOptions?.setOption(.maxMessagesPerRead, value: 4)
        // Response fields come from swift-http-types, which legalizes every value (no CR, LF or NUL)
        // and validates every name already.
        try pipeline.configureHTTPServerPipeline(
            withPipeliningAssistance: true, withErrorHandling: false, withOutboundHeaderValidation: false)
        let encoder = try pipeline.handler(type: HTTPResponseEncoder.self)
        try pipeline.addHandler(readAhead.makeGate(), position: .before(encoder))
        let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
        try pipeline.addHandler(readAhead.makeCounter(), position: .after(decoder))
        try pipeline.addHandler(HTTP1ProtocolErrorHandler())
        let keepAlive = HTTP1KeepAliveTracker()
        try pipeline.addHandler(keepAlive)
        try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: secure))
        return (try HTTPStream(wrappingChannelSynchronously: channel), keepAlive, watchdog)
    }

    /// The handlers of an HTTP/2 connection and of each of its streams.
    private static func configureHTTP2(
        _ channel: any Channel, configuration: HTTPServerConfiguration, logger: Logger
    ) throws -> HTTP2Connection {
        let pipeline = channel.pipeline.syncOperations
        let watchdog = ReadWatchdog(eventLoop: channel.eventLoop, shortestDeadline: configuration.shortestDeadline)
        channel.closeFuture.whenComplete { _ in watchdog.stop() }
        let manager = NIOHTTP2ServerConnectionManagementHandler(
            eventLoop: channel.eventLoop,
            configuration: .init(
                maxIdleTime: TimeAmount(configuration.idleTimeout),
                maxAge: nil,
                maxGraceTime: TimeAmount(configuration.shutdownGracePeriod),
                keepalive: nil
            )
        )
        let observer = HTTP2ConnectionErrorHandler.Observer(next: manager.http2StreamDelegate)
        let multiplexer = try pipeline.configureAsyncHTTP2Pipeline(
            mode: .server,
            streamDelegate: observer,
            frameDelegate: observer,
            configuration: http2Configuration(configuration)
        ) { stream in
            stream.eventLoop.makeCompletedFuture {
                let pipeline = stream.pipeline.syncOperations
                try pipeline.addHandler(WriteTimeoutHandler(timeout: configuration.writeTimeout))
                try pipeline.addHandler(HTTP2FramePayloadToHTTPServerCodec())
                return try HTTPStream(wrappingChannelSynchronously: stream)
            }
        }
        try pipeline.addHandler(manager)
        try pipeline.addHandler(HTTP2ConnectionErrorHandler(observer: observer, logger: logger))
        return (multiplexer, watchdog)
    }

    private static func http2Configuration(_ configuration: HTTPServerConfiguration) -> NIOHTTP2Handler.Configuration {
        var http2 = NIOHTTP2Handler.Configuration()
        http2.connection.initialSettings = [
            HTTP2Setting(parameter: .maxConcurrentStreams, value: configuration.maxConcurrentHTTP2Streams),
            // Generous at the HPACK layer (which counts 32 extra bytes a field and can only reset
            // the connection) so that a large head reaches the server's own check and gets a 431.
            HTTP2Setting(parameter: .maxHeaderListSize, value: max(64 * 1024, 4 * configuration.maxHeaderSize)),
        ]
        return http2
    }

    private func accept(on listener: Listener, secure: Bool) async throws {
        try await listener.executeThenClose { inbound in
            try await withThrowingDiscardingTaskGroup { group in
                for try await connection in inbound {
                    group.addTask { await self.serve(connection, secure: secure) }
                }
            }
        }
    }

    private func serve(_ connection: AcceptedConnection, secure: Bool) async {
        connections.register(connection.channel)
        defer { connections.unregister(connection.channel) }
        let remoteAddress = connection.channel.remoteAddress
        do {
            let negotiated = try await connection.negotiated.get()
            connections.negotiated(connection.channel)
            switch negotiated {
            case .http1_1(let (stream, keepAlive, watchdog)):
                await serveHTTP1(
                    stream, keepAlive: keepAlive, watchdog: watchdog, remoteAddress: remoteAddress, secure: secure,
                    firstHeadWithin: configuration.requestHeadTimeout - connection.accepted.duration(to: .now))
            case .http2(let (multiplexer, watchdog)):
                await serveHTTP2(multiplexer, watchdog: watchdog, remoteAddress: remoteAddress, secure: secure)
            }
        } catch {
            logger.debug("Connection ended before a protocol was agreed", metadata: ["error": "\(error)"])
        }
    }

    private func serveHTTP1(
        _ stream: HTTPStream,
        keepAlive: HTTP1KeepAliveTracker,
        watchdog: ReadWatchdog,
        remoteAddress: SocketAddress?,
        secure: Bool,
        firstHeadWithin firstHeadLimit: Duration
    ) async {
        let channel = stream.channel
        let info = RequestResponder.Connection(
            remoteAddress: remoteAddress,
            httpVersion: .http1,
            isSecure: secure,
            closeAfterResponse: { [connections] in connections.quiesce(channel) }
        )
        do {
            try await stream.executeThenClose { inbound, outbound in
                let reader = InboundRequestReader(inbound, channel: channel, watchdog: watchdog)
                var waitLimit = max(firstHeadLimit, .zero)
                while let part = try await reader.next(within: waitLimit) {
                    guard case .head(let head) = part else { continue }
                    let outcome = await responder.respond(
                        to: head,
                        reader: reader,
                        writer: outbound,
                        connection: info,
                        request: keepAlive.nextRequest()
                    )
                    if outcome.bodyReadInFlight {
                        // A task of the handler's still reads the body: the connection cannot be
                        // read or reused, only closed.
                        return
                    }
                    if !outcome.responseSent {
                        // A response that broke off cannot be finished. It closes at once, with a
                        // reset, so that a client reading to the end of the connection (HTTP/1.0)
                        // cannot take the part it got for the whole.
                        try? await (channel as? any SocketOptionProvider)?
                            .setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
                        return
                    }
                    if !outcome.keepAlive {
                        // The pipeline handler closes the connection once the response has been
                        // sent and the request has ended. A complete request only waits for the
                        // response to go out, however slowly the client reads; the rest of a
                        // request answered early (413) is read and dropped for a little while
                        // only, since its client may stop sending without ending it.
                        let requestEnded = try await outcome.bodyComplete ? true : drainRefusedRequest(reader)
                        if requestEnded {
                            while try await reader.next(within: configuration.idleTimeout) != nil {}
                        }
                        return
                    }
                    waitLimit = configuration.idleTimeout
                }
            }
        } catch {
            logger.debug("HTTP/1.1 connection closed", metadata: ["error": "\(error)"])
        }
    }

    /// Reads and drops what is left of a request, until it ends, 2 s have passed or 4 MiB have
    /// been dropped; returns whether the request ended.
    private func drainRefusedRequest(_ reader: InboundRequestReader) async throws -> Bool {
        let deadline = ContinuousClock.now.advanced(by: Self.lingerAfterClose)
        var dropped = 0
        while dropped < Self.maximumDroppedAfterClose {
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .zero, let part = try await reader.next(within: remaining) else { return false }
            switch part {
            case .body(let buffer): dropped += buffer.readableBytes
            case .end: return true
            case .head: return false
            }
        }
        return false
    }

    private func serveHTTP2(
        _ multiplexer: NIOHTTP2Handler.AsyncStreamMultiplexer<HTTPStream>,
        watchdog: ReadWatchdog,
        remoteAddress: SocketAddress?,
        secure: Bool
    ) async {
        let info = RequestResponder.Connection(
            remoteAddress: remoteAddress,
            httpVersion: .http2,
            isSecure: secure,
            closeAfterResponse: {}
        )
        do {
            try await withThrowingDiscardingTaskGroup { group in
                for try await stream in multiplexer.inbound {
                    group.addTask {
                        // A stream that closes before its handler is done — the client reset
                        // it, or the write timeout did — cancels the handler.
                        let serving = Task { await self.serve(stream, watchdog: watchdog, connection: info) }
                        stream.channel.closeFuture.whenComplete { _ in serving.cancel() }
                        await withTaskCancellationHandler {
                            await serving.value
                        } onCancel: {
                            serving.cancel()
                        }
                    }
                }
            }
        } catch {
            logger.debug("HTTP/2 connection closed", metadata: ["error": "\(error)"])
        }
    }

    /// Serves the one request of an HTTP/2 stream.
    private func serve(_ stream: HTTPStream, watchdog: ReadWatchdog, connection: RequestResponder.Connection) async {
        try? await stream.executeThenClose { inbound, outbound in
            let reader = InboundRequestReader(inbound, channel: stream.channel, watchdog: watchdog)
            guard case .head(let head) = try await reader.next(within: configuration.requestHeadTimeout) else { return }
            let outcome = await responder.respond(to: head, reader: reader, writer: outbound, connection: connection)
            if outcome.bodyComplete, outcome.responseSent {
                // Both sides have ended the stream: it closes by itself once the response's last
                // frames are sent, which flow control may delay. Closing it now would reset it and
                // lose them; a client that never lets them through has the stream reset after the
                // write timeout.
                await reader.waitForClose(within: configuration.writeTimeout)
            }
        }
    }
}
