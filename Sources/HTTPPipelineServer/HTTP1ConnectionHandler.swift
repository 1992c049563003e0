import NIOCore
import NIOHTTP1

/// Applies the rules of an HTTP/1.1 connection (``HTTP1ConnectionStateMachine``) between NIO's
/// HTTP/1 codec and the application: keep-alive and `Connection: close`, HTTP/1.0 framing, the
/// answer to a request that cannot be parsed, and closing once the last response and its request
/// have ended. Pipelined requests are handed on one at a time, each after the previous response
/// has ended, and nothing more is read while one waits. It also tells ``HTTP1ReadAhead`` when
/// requests are parsed and responses end, so that reading ahead stays bounded.
final class HTTP1ConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private var machine = HTTP1ConnectionStateMachine()
    private let readAhead: HTTP1ReadAhead
    /// Pipelined request parts waiting for the response before them to end, in order.
    private var held = CircularBuffer<HTTPServerRequestPart>(initialCapacity: 0)
    /// A read was asked for while parts were held; it is passed on once they are handed on.
    private var readPending = false

    init(readAhead: HTTP1ReadAhead) {
        self.readAhead = readAhead
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        // What the parser took counts against the read-ahead, handed on or held.
        switch part {
        case .head(let head): readAhead.headParsed(head)
        case .end: readAhead.requestEnded()
        case .body: break
        }
        if !held.isEmpty || (part.isHead && machine.holdsNextRequest) {
            held.append(part)
            return
        }
        handOn(part, context: context)
    }

    func read(context: ChannelHandlerContext) {
        if held.isEmpty {
            context.read()
        } else {
            readPending = true
        }
    }

    /// Hands on the held parts that may go now: up to the next request that must wait.
    private func handOnHeld(context: ChannelHandlerContext) {
        var handedOn = false
        while let part = held.first, !(part.isHead && machine.holdsNextRequest) {
            held.removeFirst()
            handOn(part, context: context)
            handedOn = true
        }
        // Outside a read cycle, the parts handed on reach the application with this.
        if handedOn { context.fireChannelReadComplete() }
        if held.isEmpty, readPending {
            readPending = false
            context.read()
        }
    }

    private func handOn(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        let action: HTTP1ConnectionStateMachine.ReadAction
        switch part {
        case .head(let head): action = machine.receivedHead(head)
        case .body: action = machine.receivedBody()
        case .end: action = machine.receivedEnd()
        }
        let data = wrapInboundOut(part)
        switch action {
        case .forward:
            context.fireChannelRead(data)
        case .forwardHead(let head):
            context.fireChannelRead(wrapInboundOut(.head(head)))
        case .drop:
            break
        case .forwardThenClose:
            context.fireChannelRead(data)
            context.close(promise: nil)
        case .answerAndClose(let status, let message):
            answer(context: context, status: status, message: message)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let action: HTTP1ConnectionStateMachine.WriteAction
        let part = unwrapOutboundIn(data)
        switch part {
        case .head(let head): action = machine.writingHead(head)
        case .body: action = machine.writingBody()
        case .end: action = machine.writingEnd()
        }
        switch action {
        case .write:
            context.write(data, promise: promise)
        case .writeHead(let head):
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .writeThenClose:
            // Flushed by the application's flush that follows; the close waits for the write.
            let written = context.eventLoop.makePromise(of: Void.self)
            written.futureResult.cascade(to: promise)
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            written.futureResult.whenComplete { _ in bound.value.close(promise: nil) }
            context.write(data, promise: written)
        case .drop:
            promise?.fail(ChannelError.ioOnClosedChannel)
        }
        if case .end = part, action != .drop {
            readAhead.responseEnded()
            handOnHeld(context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        switch machine.parseFailed(headTooLarge: parserError == .headerOverflow) {
        case .answerAndClose(let status, let message):
            answer(context: context, status: status, message: message)
        case .close, .closeWhenIdle:
            context.close(promise: nil)
        case .none:
            break
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        switch machine.quiesce() {
        case .close: context.close(promise: nil)
        case .closeWhenIdle, .none, .answerAndClose: break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        machine.closed()
        held.removeAll()
        context.fireChannelInactive()
    }

    /// Answers a request the connection refuses, as JSON, and closes.
    private func answer(context: ChannelHandlerContext, status: HTTPResponseStatus, message: String) {
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
}

extension HTTPServerRequestPart {
    fileprivate var isHead: Bool {
        if case .head = self { return true }
        return false
    }
}
