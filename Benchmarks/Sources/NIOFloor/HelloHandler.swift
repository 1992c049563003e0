import NIOCore
import NIOHTTP1

/// Answers every request with `200 hello` once it has ended, through NIOHTTP1's parts; writes are
/// flushed once per read, as nginx and `mauth serve` do.
final class HelloHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let body = ByteBuffer(string: "hello")
    private let head = HTTPResponseHead(version: .http1_1, status: .ok, headers: ["content-length": "5"])

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .end = unwrapInboundIn(data) else { return }
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.write(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }
}
