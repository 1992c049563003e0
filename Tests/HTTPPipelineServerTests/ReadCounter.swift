import NIOCore

/// Counts the reads that get past the handlers in front of it to the socket (for a listener, its
/// accepts).
final class ReadCounter: ChannelOutboundHandler {
    typealias OutboundIn = Never
    var reads = 0

    func read(context: ChannelHandlerContext) {
        reads += 1
        context.read()
    }
}
