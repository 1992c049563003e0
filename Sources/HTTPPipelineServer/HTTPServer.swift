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
    private typealias HTTP2Connection = (any Channel, NIOHTTP2Handler.AsyncStreamMultiplexer<HTTPStream>)
    private typealias Negotiated = NIONegotiatedHTTPVersion<HTTPStream, HTTP2Connection>

    private struct AcceptedConnection: Sendable {
        let channel: any Channel
        let negotiated: EventLoopFuture<Negotiated>
    }

    private typealias Listener = NIOAsyncChannel<AcceptedConnection, Never>

    private let configuration: HTTPServerConfiguration
    private let responder: RequestResponder
    private let logger: Logger
    private let connections = ConnectionRegistry()
    private let ports = Mutex<(ports: ListeningPorts?, waiters: [CheckedContinuation<ListeningPorts, any Error>])>(
        (nil, [])
    )

    /// Creates a server for `handler` (typically a ``HTTPPipeline/Pipeline``). Errors thrown by
    /// the handler are rendered as ``HTTPPipeline/Pipeline/respond(to:context:)`` renders them.
    public init(
        configuration: HTTPServerConfiguration, handler: some Handler, logger: Logger = Logger(label: "http.server")
    ) {
        self.configuration = configuration
        self.logger = logger
        self.responder = RequestResponder(
            pipeline: Pipeline(middlewares: [], handler: handler),
            configuration: configuration,
            logger: logger
        )
    }

    /// The ports the server listens on; waits until it is listening.
    public func listeningPorts() async throws -> ListeningPorts {
        try await withCheckedThrowingContinuation { continuation in
            let ready = ports.withLock { state -> ListeningPorts? in
                if let ports = state.ports { return ports }
                state.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// Listens and serves until graceful shutdown, then finishes in-flight requests and returns.
    public func run() async throws {
        let cleartext: Listener
        let secure: Listener?
        do {
            cleartext = try await bind(port: configuration.port, tls: nil)
            if let tls = configuration.tls {
                secure = try await bind(port: tls.port, tls: try Self.sslContext(tls))
            } else {
                secure = nil
            }
        } catch {
            failWaiters(error)
            throw error
        }
        let listening = ListeningPorts(
            cleartext: cleartext.channel.localAddress?.port ?? configuration.port,
            tls: secure.map { $0.channel.localAddress?.port ?? 0 }
        )
        let waiters = ports.withLock { state in
            state.ports = listening
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: listening) }
        logger.info(
            "Listening",
            metadata: [
                "http.address": "\(configuration.host):\(listening.cleartext)",
                "https.address": "\(listening.tls.map { "\(configuration.host):\($0)" } ?? "-")",
            ]
        )

        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { try await self.accept(on: cleartext, secure: false) }
                if let secure {
                    group.addTask { try await self.accept(on: secure, secure: true) }
                }
            }
        } onGracefulShutdown: {
            self.logger.info("Shutting down: finishing in-flight requests")
            cleartext.channel.close(promise: nil)
            secure?.channel.close(promise: nil)
            self.connections.quiesceAll()
        }
        logger.info("Stopped")
    }

    private func failWaiters(_ error: any Error) {
        let waiters = ports.withLock { state in
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(throwing: error) }
    }

    private static func sslContext(_ tls: HTTPServerConfiguration.TLS) throws -> NIOSSLContext {
        let chain = try NIOSSLCertificate.fromPEMFile(tls.certificateChainFile).map {
            NIOSSLCertificateSource.certificate($0)
        }
        let key = try NIOSSLPrivateKey(file: tls.privateKeyFile, format: .pem)
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain, privateKey: .privateKey(key))
        configuration.applicationProtocols = ["h2", "http/1.1"]
        return try NIOSSLContext(configuration: configuration)
    }

    private func bind(port: Int, tls: NIOSSLContext?) async throws -> Listener {
        let configuration = self.configuration
        let http2Configuration = Self.http2Configuration(configuration)
        return try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .bind(host: configuration.host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tls {
                        try pipeline.addHandler(NIOSSLServerHandler(context: tls))
                    } else {
                        try pipeline.addHandler(HTTP2PrefaceDetector())
                    }
                }.flatMap {
                    channel.configureHTTP2AsyncSecureUpgrade(
                        http1ConnectionInitializer: { channel in
                            channel.eventLoop.makeCompletedFuture {
                                let pipeline = channel.pipeline.syncOperations
                                try pipeline.configureHTTPServerPipeline(
                                    withPipeliningAssistance: true, withErrorHandling: false)
                                try pipeline.addHandler(HTTP1ProtocolErrorHandler())
                                try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: tls != nil))
                                return try HTTPStream(wrappingChannelSynchronously: channel)
                            }
                        },
                        http2ConnectionInitializer: { channel in
                            channel.eventLoop.makeCompletedFuture {
                                let multiplexer = try channel.pipeline.syncOperations.configureAsyncHTTP2Pipeline(
                                    mode: .server,
                                    connectionManagerConfiguration: .init(
                                        maxIdleTime: TimeAmount(configuration.idleTimeout),
                                        maxAge: nil,
                                        maxGraceTime: TimeAmount(configuration.shutdownGracePeriod),
                                        keepalive: nil
                                    ),
                                    http2HandlerConfiguration: http2Configuration
                                ) { stream in
                                    stream.eventLoop.makeCompletedFuture {
                                        try stream.pipeline.syncOperations.addHandler(
                                            HTTP2FramePayloadToHTTPServerCodec())
                                        return try HTTPStream(wrappingChannelSynchronously: stream)
                                    }
                                }
                                return (channel, multiplexer)
                            }
                        }
                    )
                }.map { negotiated in
                    let handshakeDeadline = channel.eventLoop.scheduleTask(
                        in: TimeAmount(configuration.firstRequestTimeout)
                    ) {
                        channel.close(promise: nil)
                    }
                    negotiated.whenComplete { _ in handshakeDeadline.cancel() }
                    return AcceptedConnection(channel: channel, negotiated: negotiated)
                }
            }
    }

    private static func http2Configuration(_ configuration: HTTPServerConfiguration) -> NIOHTTP2Handler.Configuration {
        var http2 = NIOHTTP2Handler.Configuration()
        http2.connection.initialSettings = [
            HTTP2Setting(parameter: .maxConcurrentStreams, value: configuration.maxConcurrentHTTP2Streams),
            HTTP2Setting(parameter: .maxHeaderListSize, value: configuration.maxHeaderSize),
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
            switch try await connection.negotiated.get() {
            case .http1_1(let stream):
                await serveHTTP1(stream, remoteAddress: remoteAddress, secure: secure)
            case .http2(let (_, multiplexer)):
                await serveHTTP2(multiplexer, remoteAddress: remoteAddress, secure: secure)
            }
        } catch {
            logger.debug("Connection ended before a protocol was agreed", metadata: ["error": "\(error)"])
        }
    }

    private func serveHTTP1(_ stream: HTTPStream, remoteAddress: SocketAddress?, secure: Bool) async {
        let channel = stream.channel
        let info = RequestResponder.Connection(remoteAddress: remoteAddress, httpVersion: .http1, isSecure: secure)
        do {
            try await stream.executeThenClose { inbound, outbound in
                let reader = InboundRequestReader(inbound)
                var waitLimit = configuration.firstRequestTimeout
                while true {
                    let deadline = channel.eventLoop.scheduleTask(in: TimeAmount(waitLimit)) {
                        channel.close(promise: nil)
                    }
                    let part = try await reader.next()
                    deadline.cancel()
                    guard let part else { return }
                    guard case .head(let head) = part else { continue }
                    let keepAlive = await responder.respond(
                        to: head, reader: reader, writer: outbound, connection: info)
                    guard keepAlive else { return }
                    waitLimit = configuration.idleTimeout
                }
            }
        } catch {
            logger.debug("HTTP/1.1 connection closed", metadata: ["error": "\(error)"])
        }
    }

    private func serveHTTP2(
        _ multiplexer: NIOHTTP2Handler.AsyncStreamMultiplexer<HTTPStream>,
        remoteAddress: SocketAddress?,
        secure: Bool
    ) async {
        let info = RequestResponder.Connection(remoteAddress: remoteAddress, httpVersion: .http2, isSecure: secure)
        do {
            try await withThrowingDiscardingTaskGroup { group in
                for try await stream in multiplexer.inbound {
                    group.addTask {
                        try? await stream.executeThenClose { inbound, outbound in
                            let reader = InboundRequestReader(inbound)
                            guard case .head(let head) = try await reader.next() else { return }
                            _ = await self.responder.respond(
                                to: head, reader: reader, writer: outbound, connection: info)
                        }
                    }
                }
            }
        } catch {
            logger.debug("HTTP/2 connection closed", metadata: ["error": "\(error)"])
        }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
