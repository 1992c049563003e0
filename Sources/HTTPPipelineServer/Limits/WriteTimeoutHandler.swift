import NIOCore

/// Closes a connection whose client stops reading: an HTTP/1.1 or HTTP/2 connection that stays
/// unwritable for the write timeout (see ``UnwritableDeadline``). An HTTP/2 stream's handler
/// keeps its own deadline.
final class WriteTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = Any

    private var deadline: UnwritableDeadline

    init(timeout: Duration) {
        deadline = UnwritableDeadline(timeout: timeout)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        deadline.update(for: context.channel)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline.cancel()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        deadline.update(for: context.channel)
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline.cancel()
        context.fireChannelInactive()
    }
}
