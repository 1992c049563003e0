import NIOCore
import NIOTLS

/// Lets one cleartext port serve HTTP/1.1 and HTTP/2 with prior knowledge.
///
/// It watches the first bytes of a connection: as soon as they stop matching the HTTP/2 client
/// preface (`PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`) the connection is HTTP/1.1, and when all 24
/// bytes match it is HTTP/2. It then reports the outcome the way a TLS handshake reports ALPN, so
/// the same protocol negotiation handler configures the connection in both cases, replays the
/// bytes it held back, and removes itself. The preface may arrive split across reads.
final class HTTP2PrefaceDetector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    private var received: ByteBuffer?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        if var received {
            received.writeBuffer(&buffer)
            self.received = received
        } else {
            received = buffer
        }
        guard let received else { return }
        let bytes = received.readableBytesView
        let compared = min(bytes.count, Self.preface.count)
        let matches = bytes.prefix(compared).elementsEqual(Self.preface.prefix(compared))
        if matches && compared < Self.preface.count {
            return
        }
        decide(context: context, http2: matches)
        context.pipeline.syncOperations.removeHandler(self, promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        let held = received != nil
        if held {
            decide(context: context, http2: false)
        }
        // Before the removal: a context that has left the pipeline passes nothing on, and the
        // HTTP/1.1 handlers must hear of the close to end the request they are waiting for.
        context.fireChannelInactive()
        if held {
            context.pipeline.syncOperations.removeHandler(self, promise: nil)
        }
    }

    private func decide(context: ChannelHandlerContext, http2: Bool) {
        context.fireUserInboundEventTriggered(TLSUserEvent.handshakeCompleted(negotiatedProtocol: http2 ? "h2" : nil))
        if let received {
            self.received = nil
            context.fireChannelRead(wrapInboundOut(received))
        }
    }
}
