import NIOCore
import NIOHTTP1
import Synchronization

/// Records, for each HTTP/1 request head in order, whether the client asked to keep the
/// connection open — by the rules of its HTTP version (1.0 closes unless it says `keep-alive`,
/// 1.1 stays open unless it says `close`), which are lost once the head becomes an `HTTPRequest`.
final class HTTP1KeepAliveTracker: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    private let pending = Mutex<[Bool]>([])

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data) {
            pending.withLock { $0.append(head.isKeepAlive) }
        }
        context.fireChannelRead(data)
    }

    /// Whether the oldest request not yet served asked for keep-alive.
    func nextRequestWantsKeepAlive() -> Bool {
        pending.withLock { $0.isEmpty ? false : $0.removeFirst() }
    }
}

/// Closes an HTTP/2 connection after a connection error: NIOHTTP2 sends GOAWAY but leaves the
/// socket open.
final class HTTP2ConnectionErrorHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = Any

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
