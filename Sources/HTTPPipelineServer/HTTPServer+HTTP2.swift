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

/// An HTTP/2 connection: its channel handlers, and the task that waits for its streams' tasks.
extension HTTPServer {
    /// The handlers of an HTTP/2 connection and of each of its streams.
    static func configureHTTP2(
        _ channel: any Channel, configuration: HTTPServerConfiguration, responder: RequestResponder, secure: Bool,
        logger: Logger
    ) throws -> HTTP2Connection {
        let pipeline = channel.pipeline.syncOperations
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
        let serving = HTTP2StreamHandler.Serving(
            responder: responder,
            connection: RequestResponder.Connection(
                remoteAddress: channel.remoteAddress, httpVersion: .http2, isSecure: secure, closeAfterResponse: {}),
            watchdog: ReadWatchdog.watching(channel, configuration: configuration),
            tasks: HTTP2StreamTasks(executor: EventLoopTaskExecutor(channel.eventLoop))
        )
        try pipeline.addHandler(FlushCoalescingHandler())
        let multiplexer = try pipeline.configureAsyncHTTP2Pipeline(
            mode: .server,
            streamDelegate: observer,
            frameDelegate: observer,
            configuration: http2Configuration(configuration)
        ) { stream in
            stream.eventLoop.makeCompletedFuture {
                try stream.syncOptions?.setOption(.autoRead, value: false)
                let pipeline = stream.pipeline.syncOperations
                let codec = HTTP2FramePayloadToHTTPServerCodec()
                try pipeline.addHandler(codec)
                try pipeline.addHandler(
                    HTTP2StreamHandler(serving: serving, codecContext: try pipeline.context(handler: codec)))
            }
        }
        try pipeline.addHandler(manager)
        try pipeline.addHandler(HTTP2ConnectionErrorHandler(observer: observer, logger: logger))
        return (multiplexer, serving.tasks)
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

    /// Serves an HTTP/2 connection until it closes and every stream's task has finished.
    func serveHTTP2(_ multiplexer: NIOHTTP2Handler.AsyncStreamMultiplexer<Void>, streams: HTTP2StreamTasks) async {
        do {
            // Each stream's handler starts its own task; this only takes the streams as they open.
            for try await _ in multiplexer.inbound {}
        } catch {
            logger.debug("HTTP/2 connection closed", metadata: ["error": "\(error)"])
        }
        await streams.waitForAll()
    }
}
