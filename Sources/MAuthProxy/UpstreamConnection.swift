import AsyncHTTPClient
import BodySpool
import Locking
import NIOCore
import NIOHTTP1
import NIOPosix

/// One keep-alive HTTP/1.1 connection to a cleartext upstream, carrying one exchange at a time.
final class UpstreamConnection: Sendable {
    let channel: any Channel
    private let handler: NIOLoopBound<UpstreamResponseHandler>
    private let exchanges = Locked(0)

    private init(channel: any Channel, handler: NIOLoopBound<UpstreamResponseHandler>) {
        self.channel = channel
        self.handler = handler
    }

    /// Connects to `host`:`port` on `eventLoop`.
    static func connect(
        host: String, port: Int, on eventLoop: any EventLoop, connectTimeout: TimeAmount, readTimeout: TimeAmount
    ) async throws -> UpstreamConnection {
        let channel = try await ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelOption(ChannelOptions.autoRead, value: false)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(UpstreamResponseHandler(readTimeout: readTimeout))
                }
            }
            .connect(host: host, port: port).get()
        let handler = try await channel.eventLoop.submit {
            NIOLoopBound(
                try channel.pipeline.syncOperations.handler(type: UpstreamResponseHandler.self),
                eventLoop: channel.eventLoop)
        }.get()
        return UpstreamConnection(channel: channel, handler: handler)
    }

    /// Whether the upstream has not closed the connection.
    var isActive: Bool { channel.isActive }

    /// Sends `head` and `body`, and returns the response once its head has arrived; its body
    /// streams as it is read. `finished` is called when the exchange is over, with whether the
    /// connection may carry another.
    func execute(head: HTTPRequestHead, body: SpooledBody?, finished: @escaping UpstreamResponseHandler.Finished)
        async throws -> HTTPClientResponse
    {
        let exchange = exchanges.withLock { count in
            count += 1
            return count
        }
        let handler = handler
        let responseHead = channel.eventLoop.makePromise(of: HTTPResponseHead.self)
        let responseBody = UpstreamResponseHandler.Body.makeSequence(
            backPressureStrategy: .init(lowWatermark: 2, highWatermark: 8), finishOnDeinit: false,
            delegate: BodyDemand(handler: handler, exchange: exchange))
        let source = responseBody.source
        channel.eventLoop.execute {
            handler.value.begin(exchange: exchange, head: responseHead, body: source, finished: finished)
        }
        do {
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
            if let body {
                if let buffer = body.memoryBuffer {
                    channel.write(HTTPClientRequestPart.body(.byteBuffer(buffer)), promise: nil)
                } else {
                    for try await part in body.chunks() {
                        try await channel.writeAndFlush(HTTPClientRequestPart.body(.byteBuffer(part)))
                    }
                }
            }
            try await channel.writeAndFlush(HTTPClientRequestPart.end(nil))
        } catch {
            // Closing ends the exchange: the handler fails the head and reports the connection
            // unusable.
            channel.close(promise: nil)
            throw error
        }
        channel.eventLoop.execute { handler.value.sentRequest() }
        let head = try await responseHead.futureResult.get()
        return HTTPClientResponse(
            version: head.version, status: head.status, headers: head.headers, body: .stream(responseBody.sequence))
    }

    func close() {
        channel.close(promise: nil)
    }
}
