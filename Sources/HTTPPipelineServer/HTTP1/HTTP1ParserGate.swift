import NIOCore

/// Holds an HTTP/1.1 connection's bytes before NIO's parser while ``HTTP1ConnectionStateMachine``
/// says the parser may take no more, and stops reading from the socket meanwhile, so that a
/// client's sends back up into its own buffers.
///
/// It hands the parser at most ``ServerTuning/parserSliceSize`` bytes at a time, since the parser
/// takes whatever it is given in one go, and tells the machine of every slice, which may start a
/// request head's deadline. ``HTTP1ConnectionHandler``, after the parser, owns the machine and
/// releases the gate when a response ends.
final class HTTP1ParserGate: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData

    private let connection: HTTP1ConnectionHandler
    private var held = CircularBuffer<ByteBuffer>()
    private var readHeld = false
    private var forwarding = false
    private var readCompleteOwed = false
    private var context: ChannelHandlerContext?

    /// A gate for the parser of the connection `connection` handles.
    init(connection: HTTP1ConnectionHandler) {
        self.connection = connection
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        guard !connection.isLingering else {
            connection.dropWhileLingering(bytes.readableBytes, context: context)
            return
        }
        held.append(bytes)
        if forwardWhileRoom(context: context) { readCompleteOwed = true }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        guard readCompleteOwed else { return }
        readCompleteOwed = false
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        if held.isEmpty, connection.parserMayRead {
            context.read()
        } else {
            readHeld = true
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        held.removeAll()
        context.fireChannelInactive()
    }

    /// Called when a response has ended and the parser has room again.
    func release() {
        guard let context, !forwarding else { return }
        if forwardWhileRoom(context: context) { context.fireChannelReadComplete() }
        if held.isEmpty, readHeld {
            readHeld = false
            context.read()
        }
    }

    /// Hands the parser what it may take now; returns whether it handed anything.
    private func forwardWhileRoom(context: ChannelHandlerContext) -> Bool {
        guard !forwarding else { return false }
        forwarding = true
        defer { forwarding = false }
        var forwarded = false
        while connection.parserMayRead, var buffer = held.popFirst() {
            let slice = buffer.readSlice(length: min(buffer.readableBytes, ServerTuning.parserSliceSize))!
            if buffer.readableBytes > 0 { held.prepend(buffer) }
            connection.bytesReachParser()
            context.fireChannelRead(wrapInboundOut(slice))
            forwarded = true
        }
        return forwarded
    }
}
