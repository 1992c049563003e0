import NIOCore

/// Closes a channel that has stayed unwritable for `timeout`: an HTTP/1.1 connection (or an HTTP/2
/// connection) whose client stops reading, or an HTTP/2 stream whose flow-control window the
/// client never opens, which closing resets.
///
/// A channel becomes unwritable when what it holds for the peer passes its high-water mark
/// (64 KiB), and writable again once the peer has taken it down to the low-water mark (32 KiB);
/// so a client that reads at least 32 KiB within `timeout` keeps its connection, and one that
/// stops (or reads slower than that) is cut off.
final class WriteTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = Any

    private let timeout: TimeAmount
    private var deadline: Scheduled<Void>?

    init(timeout: Duration) {
        self.timeout = TimeAmount(timeout)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if !context.channel.isWritable { arm(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        disarm()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            disarm()
        } else if deadline == nil {
            arm(context: context)
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        context.fireChannelInactive()
    }

    private func arm(context: ChannelHandlerContext) {
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: timeout) {
            channel.close(promise: nil)
        }
    }

    private func disarm() {
        deadline?.cancel()
        deadline = nil
    }
}
