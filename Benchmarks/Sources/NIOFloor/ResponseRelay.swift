import NIOCore
import NIOHTTP1

/// Writes an upstream connection's response parts to the client's connection, flushed once per
/// upstream read, and closes the client's connection when the upstream's closes.
final class ResponseRelay: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let downstream: any Channel

    init(downstream: any Channel) {
        self.downstream = downstream
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part: HTTPServerResponsePart
        switch unwrapInboundIn(data) {
        case .head(let head): part = .head(head)
        case .body(let buffer): part = .body(.byteBuffer(buffer))
        case .end(let trailers): part = .end(trailers)
        }
        downstream.write(part, promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        downstream.flush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        downstream.close(promise: nil)
        context.fireChannelInactive()
    }
}
