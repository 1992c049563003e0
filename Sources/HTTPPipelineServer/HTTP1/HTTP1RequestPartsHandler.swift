import NIOCore
import NIOHTTPTypes

/// The end of an HTTP/1.1 connection's pipeline: hands the request parts to the task that serves
/// the connection, through a ``RequestPartInbox``, and is where that task's responses enter the
/// pipeline (``ChannelResponseWriter``).
///
/// The connection stops reading while ``ServerTuning/waitingRequestParts`` parts wait for the task (a body its
/// handler does not read yet, say), and reads again once the task has taken them all.
/// ``HTTP1ConnectionHandler`` and its ``HTTP1ParserGate``, further up, decide how far reading may
/// run ahead of the responses.
final class HTTP1RequestPartsHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart

    /// What the connection's task reads from and writes to.
    struct Ends: Sendable {
        let inbox: RequestPartInbox
        let writer: ChannelResponseWriter
    }

    private let inbox: RequestPartInbox
    private let writability: ChannelWritability

    init(inbox: RequestPartInbox, writability: ChannelWritability) {
        self.inbox = inbox
        self.writability = writability
    }

    /// Adds the handler at the end of `channel`'s pipeline.
    static func add(to channel: any Channel) throws -> Ends {
        let inbox = RequestPartInbox { channel.read() }
        let writability = ChannelWritability()
        let pipeline = channel.pipeline.syncOperations
        let handler = HTTP1RequestPartsHandler(inbox: inbox, writability: writability)
        try pipeline.addHandler(handler)
        let entry = NIOLoopBound(try pipeline.context(handler: handler), eventLoop: channel.eventLoop)
        let writer = ChannelResponseWriter.http1(channel: channel, entry: entry, writability: writability)
        return Ends(inbox: inbox, writer: writer)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        inbox.receive(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if inbox.readCompleted() { context.read() }
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        // Held back, a read is asked for again by the inbox once the task has taken every part.
        if inbox.waitingParts < ServerTuning.waitingRequestParts { context.read() }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        writability.changed(to: context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        inbox.finish()
        writability.closed()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        inbox.finish(error)
    }
}
