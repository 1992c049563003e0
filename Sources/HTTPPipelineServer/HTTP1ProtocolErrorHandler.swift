import NIOCore
import NIOHTTP1

/// Answers an HTTP/1.1 request that cannot be parsed — 431 when its head is too large, 400
/// otherwise — and closes that connection; the server goes on serving everyone else.
///
/// A request whose Host header fields are wrong is refused the same way, before any handler sees
/// it: an HTTP/1.1 request needs exactly one, and no request may have two (RFC 9112 §3.2).
///
/// The answer is only written when no other response for the request can interleave with it:
/// not while the application's response is on its way, and not when the application has already
/// answered the broken request. Once the answer is written, whatever the application still writes
/// for that request is dropped, so the connection carries exactly one response per request.
final class HTTP1ProtocolErrorHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// A request head has been handed on and its end has not arrived yet.
    private var requestOpen = false
    /// The application completed a response while the current request was still open.
    private var answeredOpenRequest = false
    /// A final (not informational) response head has been written and its end has not.
    private var responseInProgress = false
    /// This handler has answered a parse error; nothing else may be written.
    private var answeredParseError = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !answeredParseError else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            let hosts = head.headers["host"].count
            if hosts > 1 || (hosts == 0 && (head.version.major, head.version.minor) >= (1, 1)) {
                answer(context: context, status: .badRequest, message: "The request must have exactly one Host header.")
                return
            }
            requestOpen = true
            answeredOpenRequest = false
        case .end:
            // Whatever breaks after this belongs to the next request.
            requestOpen = false
            answeredOpenRequest = false
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        if !responseInProgress && !answeredOpenRequest && !answeredParseError {
            let tooLarge = parserError == .headerOverflow
            answer(
                context: context,
                status: tooLarge ? .requestHeaderFieldsTooLarge : .badRequest,
                message: tooLarge ? "The request head is too large." : "The request could not be parsed.")
        } else {
            context.close(promise: nil)
        }
    }

    /// Answers the broken request and closes the connection; nothing else is read or written.
    private func answer(context: ChannelHandlerContext, status: HTTPResponseStatus, message: String) {
        answeredParseError = true
        var body = context.channel.allocator.buffer(capacity: 64)
        body.writeString(#"{"error":"\#(message)"}"#)
        let headers = HTTPHeaders([
            ("Connection", "close"), ("Content-Type", "application/json"),
            ("Content-Length", "\(body.readableBytes)"),
        ])
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))),
            promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.close(promise: nil)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !answeredParseError else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        switch unwrapOutboundIn(data) {
        case .head(let head): if head.status.code >= 200 { responseInProgress = true }
        case .end:
            responseInProgress = false
            if requestOpen { answeredOpenRequest = true }
        case .body: break
        }
        context.write(data, promise: promise)
    }
}
