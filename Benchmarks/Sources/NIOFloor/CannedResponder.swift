import NIOCore

/// Answers each request head with the same bytes, without parsing HTTP: it only counts the blank
/// lines that end heads, so it serves GET requests without a body, as `wrk` sends them.
final class CannedResponder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let response = ByteBuffer(string: "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello")
    /// The last four bytes read, across reads.
    private var lastFour: UInt32 = 0

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var heads = 0
        for byte in unwrapInboundIn(data).readableBytesView {
            lastFour = lastFour << 8 | UInt32(byte)
            if lastFour == 0x0d0a_0d0a { heads += 1 }
        }
        for _ in 0..<heads { context.write(wrapOutboundOut(response), promise: nil) }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }
}
