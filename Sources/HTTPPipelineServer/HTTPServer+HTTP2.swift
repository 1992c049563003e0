import Foundation
import HTTPPipeline
import HTTPTypes
import Logging
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

/// An HTTP/2 connection: its channel handlers, and the tasks that serve its streams, one request
/// each.
extension HTTPServer {
    /// The handlers of an HTTP/2 connection and of each of its streams.
    static func configureHTTP2(
        _ channel: any Channel, configuration: HTTPServerConfiguration, logger: Logger
    ) throws -> HTTP2Connection {
        let pipeline = channel.pipeline.syncOperations
        let watchdog = ReadWatchdog.watching(channel, configuration: configuration)
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
        try pipeline.addHandler(FlushCoalescingHandler())
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

    static func http2Configuration(_ configuration: HTTPServerConfiguration) -> NIOHTTP2Handler.Configuration {
        var http2 = NIOHTTP2Handler.Configuration()
        http2.connection.initialSettings = [
            HTTP2Setting(parameter: .maxConcurrentStreams, value: configuration.maxConcurrentHTTP2Streams),
            // Generous at the HPACK layer (which counts 32 extra bytes a field and can only reset
            // the connection) so that a large head reaches the server's own check and gets a 431.
            HTTP2Setting(parameter: .maxHeaderListSize, value: max(64 * 1024, 4 * configuration.maxHeaderSize)),
        ]
        return http2
    }

    func serveHTTP2(
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
    func serve(_ stream: HTTPStream, watchdog: ReadWatchdog, connection: RequestResponder.Connection) async {
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
