import NIOCore

/// Holds a connection's flushes until the event loop has run the work already queued (or until
/// the read in progress ends), so that the writes of everything answered together go out
/// together.
///
/// On HTTP/2 each stream's response is written by its own task and flushed on its own, which
/// would make one `writev` per stream: held here, the streams answered together go out in one
/// system call. On HTTP/1.1 the connections of an event loop whose requests arrived together are
/// answered one after another on that loop; their responses then leave back to back, after the
/// last of them, rather than between one request's handling and the next.
final class FlushCoalescingHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = IOData

    private var reading = false
    private var flushPending = false
    private var flushScheduled = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        reading = true
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.fireChannelReadComplete()
        reading = false
        flushIfPending(context: context)
    }

    func flush(context: ChannelHandlerContext) {
        flushPending = true
        guard !reading, !flushScheduled else { return }
        flushScheduled = true
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.execute {
            let (handler, context) = loopBound.value
            handler.flushScheduled = false
            handler.flushIfPending(context: context)
        }
    }

    /// A connection closes once its last stream has ended, which may be before the flush that
    /// carries that stream's last frames: they go out first.
    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        flushIfPending(context: context)
        context.close(mode: mode, promise: promise)
    }

    private func flushIfPending(context: ChannelHandlerContext) {
        guard flushPending else { return }
        flushPending = false
        context.flush()
    }
}
