import NIOCore
import NIOHTTP1

/// Applies the rules of an HTTP/1.1 connection (``HTTP1ConnectionStateMachine``) between NIO's
/// HTTP/1 codec and the application: keep-alive and `Connection: close`, HTTP/1.0 framing, the
/// answer to a request that cannot be parsed, and closing once the last response and its request
/// have ended. Pipelined requests are handed on one at a time, each after the previous response
/// has ended, and nothing more is read while one waits; a parse error waits its turn the same way.
/// It also tells ``HTTP1ReadAhead`` when requests are parsed and responses end, so that reading
/// ahead stays bounded.
final class HTTP1ConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// What arrived from the parser and waits for the responses before it.
    private enum Held {
        case part(HTTPServerRequestPart)
        case parseError(headTooLarge: Bool)
    }

    private var machine = HTTP1ConnectionStateMachine()
    private let readAhead: HTTP1ReadAhead
    /// Pipelined request parts and parse errors waiting for the responses before them, in order.
    private var held = CircularBuffer<Held>(initialCapacity: 0)
    /// A read was asked for while something was held; it is passed on once nothing is.
    private var readPending = false
    /// When the connection's last response has been written: a close waits for it, so that a
    /// response the client is still taking is not cut off.
    private var lastResponseWritten: EventLoopFuture<Void>?

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
            held.append(.part(part))
            return
        }
        handOn(part, context: context)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        let headTooLarge = parserError == .headerOverflow
        if !held.isEmpty || machine.holdsParseError {
            held.append(.parseError(headTooLarge: headTooLarge))
            return
        }
        parseFailed(headTooLarge: headTooLarge, context: context)
    }

    func read(context: ChannelHandlerContext) {
        if held.isEmpty {
            context.read()
        } else {
            readPending = true
        }
    }

    /// Hands on what was held and may go now: up to the next request, or parse error, that must
    /// still wait.
    private func handOnHeld(context: ChannelHandlerContext) {
        var handedOn = false
        while let first = held.first {
            switch first {
            case .part(let part):
                guard !(part.isHead && machine.holdsNextRequest) else { break }
                held.removeFirst()
                handOn(part, context: context)
                handedOn = true
                continue
            case .parseError(let headTooLarge):
                guard !machine.holdsParseError else { break }
                held.removeFirst()
                parseFailed(headTooLarge: headTooLarge, context: context)
                continue
            }
            break
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
        switch action {
        case .forward:
            context.fireChannelRead(wrapInboundOut(part))
        case .forwardHead(let head):
            context.fireChannelRead(wrapInboundOut(.head(head)))
        case .drop:
            break
        case .forwardThenClose:
            context.fireChannelRead(wrapInboundOut(part))
            closeAfterLastResponse(context: context)
        case .dropThenClose:
            closeAfterLastResponse(context: context)
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
            if case .end = part, machine.isClosing {
                // The connection closes when this response's request ends: the close waits for
                // the response to be written, too.
                let written = context.eventLoop.makePromise(of: Void.self)
                written.futureResult.cascade(to: promise)
                lastResponseWritten = written.futureResult
                context.write(data, promise: written)
            } else {
                context.write(data, promise: promise)
            }
        case .writeHead(let head):
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .writeThenClose:
            // Flushed by the application's flush that follows; the close waits for the write.
            let written = context.eventLoop.makePromise(of: Void.self)
            written.futureResult.cascade(to: promise)
            lastResponseWritten = written.futureResult
            context.write(data, promise: written)
            closeAfterLastResponse(context: context)
        case .drop:
            promise?.fail(ChannelError.ioOnClosedChannel)
        }
        if case .end = part, action != .drop {
            readAhead.responseEnded()
            handOnHeld(context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        switch machine.quiesce() {
        case .close: closeAfterLastResponse(context: context)
        case .closeWhenIdle, .none, .answerAndClose: break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        machine.closed()
        held.removeAll()
        lastResponseWritten = nil
        context.fireChannelInactive()
    }

    private func parseFailed(headTooLarge: Bool, context: ChannelHandlerContext) {
        switch machine.parseFailed(headTooLarge: headTooLarge) {
        case .answerAndClose(let status, let message):
            answer(context: context, status: status, message: message)
        case .close, .closeWhenIdle:
            closeAfterLastResponse(context: context)
        case .none:
            break
        }
    }

    /// Closes once the last response's end has been written, or now when there is none in flight.
    private func closeAfterLastResponse(context: ChannelHandlerContext) {
        guard let lastResponseWritten else {
            context.close(promise: nil)
            return
        }
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        lastResponseWritten.whenComplete { _ in bound.value.close(promise: nil) }
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
