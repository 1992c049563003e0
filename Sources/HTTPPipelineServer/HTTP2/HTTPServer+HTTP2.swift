import HTTPPipeline
import Logging
import NIOCore
import NIOHTTP2

/// An HTTP/2 connection: its channel handlers, and the task that waits for its streams' tasks.
extension HTTPServer {
    /// The handlers of an HTTP/2 connection, which serve its streams too.
    static func configureHTTP2(
        _ channel: any Channel, configuration: HTTPServerConfiguration, responder: RequestResponder, secure: Bool,
        watchdog: ReadWatchdog, logger: Logger
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
        let http2 = http2Configuration(configuration)
        let streams = HTTP2StreamsHandler.Serving(
            responder: responder,
            connection: RequestResponder.Connection(
                remoteAddress: channel.remoteAddress, httpVersion: .http2, isSecure: secure),
            watchdog: watchdog,
            tasks: HTTP2StreamTasks(executor: EventLoopTaskExecutor(channel.eventLoop))
        )
        try pipeline.addHandler(FlushCoalescingHandler())
        try pipeline.addHandler(
            NIOHTTP2Handler(
                mode: .server, frameDelegate: observer, connectionConfiguration: http2.connection,
                streamConfiguration: http2.stream))
        // The streams handler tells the manager of the streams it serves, through the observer,
        // rather than let it count NIOHTTP2's stream events, which include streams closed before
        // they were served.
        try pipeline.addHandler(HTTP2StreamsHandler(serving: streams, streamDelegate: observer))
        try pipeline.addHandler(manager)
        try pipeline.addHandler(HTTP2ConnectionErrorHandler(observer: observer, logger: logger))
        return streams.tasks
    }

    static func http2Configuration(_ configuration: HTTPServerConfiguration) -> NIOHTTP2Handler.Configuration {
        var http2 = NIOHTTP2Handler.Configuration()
        http2.connection.initialSettings = [
            HTTP2Setting(parameter: .maxConcurrentStreams, value: configuration.maxConcurrentHTTP2Streams),
            HTTP2Setting(
                parameter: .maxHeaderListSize,
                value: max(ServerTuning.minimumAnnouncedHeaderListSize, 4 * configuration.maxHeaderSize)
            ),
        ]
        return http2
    }

    /// Serves an HTTP/2 connection until it closes and every stream's task has finished.
    func serveHTTP2(_ channel: any Channel, streams: HTTP2StreamTasks) async {
        // The connection's handlers start each stream's task; this only waits for the end.
        await withTaskCancellationHandler {
            try? await channel.closeFuture.get()
        } onCancel: {
            channel.close(promise: nil)
        }
        await streams.waitForAll()
    }
}
