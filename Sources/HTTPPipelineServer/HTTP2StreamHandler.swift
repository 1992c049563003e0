import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Serves one HTTP/2 stream: hands its request to a task that runs the responder, and cancels
/// that task if the stream closes first.
///
/// The stream's channel reads only on demand (see ``RequestPartInbox``), and the response is
/// written as frames with ``ChannelResponseWriter``: a stream costs one task and no async channel. A
/// stream whose flow-control window the client never opens is closed, which resets it, after the
/// write timeout (``UnwritableDeadline``).
final class HTTP2StreamHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPRequestPart

    /// What every stream of a connection is served with.
    struct Serving: Sendable {
        let responder: RequestResponder
        let connection: RequestResponder.Connection
        let watchdog: ReadWatchdog
        let tasks: HTTP2StreamTasks
    }

    private let serving: Serving
    /// The context of the stream's codec, where ``ChannelResponseWriter`` writes frames.
    private let codecContext: ChannelHandlerContext
    private var inbox: RequestPartInbox?
    private var task: Task<Void, Never>?
    private var writeDeadline: UnwritableDeadline
    private let writability = ChannelWritability()

    /// Serves the stream whose request parts come from the codec at `codecContext`.
    init(serving: Serving, codecContext: ChannelHandlerContext) {
        self.serving = serving
        self.codecContext = codecContext
        writeDeadline = UnwritableDeadline(timeout: serving.responder.configuration.writeTimeout)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        writeDeadline.update(for: context.channel)
        let channel = context.channel
        inbox = RequestPartInbox { channel.read() }
        if context.channel.isActive { context.read() }
    }

    func channelActive(context: ChannelHandlerContext) {
        context.read()
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        guard task == nil else {
            inbox?.receive(part)
            return
        }
        guard case .head(let head) = part, let inbox else { return }
        let (serving, writability) = (self.serving, self.writability)
        let channel = context.channel
        let frames = NIOLoopBound(codecContext, eventLoop: context.eventLoop)
        task = serving.tasks.start {
            let reader = InboundRequestReader(inbox, channel: channel, watchdog: serving.watchdog)
            let outcome = await serving.responder.respond(
                to: head, reader: reader,
                writer: ChannelResponseWriter(
                    channel: channel, entry: frames, framing: .http2, writability: writability),
                connection: serving.connection)
            if outcome.bodyComplete, outcome.responseSent {
                // Both sides have ended the stream: it closes by itself once the response's last
                // frames are sent, which flow control may delay. Closing it now would reset it and
                // lose them; a client that never lets them through has it reset after the write
                // timeout.
                reader.closeUnlessClosed(within: serving.responder.configuration.writeTimeout)
            } else {
                channel.close(promise: nil)
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if inbox?.readCompleted() == true { context.read() }
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        writeDeadline.update(for: context.channel)
        writability.changed(to: context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        writeDeadline.cancel()
        inbox?.finish()
        writability.closed()
        task?.cancel()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        inbox?.finish(error)
    }
}
