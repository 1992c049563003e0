import NIOCore
import NIOHTTP1

/// Feeds an HTTP/1.1 connection's events to its ``HTTP1ConnectionStateMachine`` and performs what
/// the machine returns, between NIO's HTTP/1 codec and the application: it hands request parts on
/// or holds them, frames and writes responses, answers what cannot be parsed, and closes once the
/// last response and its request have ended. Its ``HTTP1ParserGate``, before the parser, asks the
/// same machine how far reading may run ahead; the watchdog's periodic check asks it whether a
/// request head is overdue, with the watchdog's time.
final class HTTP1ConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private var machine: HTTP1ConnectionStateMachine
    private let watchdog: ReadWatchdog
    private weak var gate: HTTP1ParserGate?
    /// When the connection's last response has been written: a close waits for it, so that a
    /// response the client is still taking is not cut off.
    private var lastResponseWritten: EventLoopFuture<Void>?
    /// Bytes dropped since an error answer, while the connection lingers; `nil` before one.
    private var droppedWhileLingering: Int?
    /// Told of each answer the connection gives itself (status and reason), for the access log
    /// and the metrics.
    private let answered: (HTTPResponseStatus, String) -> Void

    /// The rules of `channel`'s connection, accepted at `openedAt` by `watchdog`'s time, which reads
    /// up to `maxPipelinedRequests` requests ahead of their responses, closes when a head takes
    /// longer than `headTimeout`, and tells `answered` of each answer it gives itself.
    init(
        channel: any Channel, maxPipelinedRequests: Int, headTimeout: Duration, watchdog: ReadWatchdog,
        openedAt: ContinuousClock.Instant, answered: @escaping (HTTPResponseStatus, String) -> Void = { _, _ in }
    ) {
        self.answered = answered
        machine = HTTP1ConnectionStateMachine(
            maxWaiting: maxPipelinedRequests, headTimeout: headTimeout, openedAt: openedAt)
        self.watchdog = watchdog
        let handler = NIOLoopBound(self, eventLoop: channel.eventLoop)
        watchdog.addCheck { now in
            if handler.value.machine.headOverdue(now: now) { channel.close(promise: nil) }
        }
    }

    /// The handler to place before the HTTP parser.
    func makeGate() -> HTTP1ParserGate {
        let gate = HTTP1ParserGate(connection: self)
        self.gate = gate
        return gate
    }

    /// Whether the parser may be handed more bytes.
    var parserMayRead: Bool { machine.parserMayRead }

    /// Whether the connection has answered an error and only waits for its client to stop sending:
    /// what arrives is dropped before the parser (``dropWhileLingering(_:context:)``).
    var isLingering: Bool { droppedWhileLingering != nil }

    /// Drops `bytes` that arrived after an error answer, and closes once too many have.
    func dropWhileLingering(_ bytes: Int, context: ChannelHandlerContext) {
        let dropped = (droppedWhileLingering ?? 0) + bytes
        droppedWhileLingering = dropped
        if dropped > ServerTuning.maximumDroppedAfterClose { context.close(promise: nil) }
    }

    /// Bytes are about to reach the parser.
    func bytesReachParser() {
        machine.bytesReachParser(now: watchdog.now)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        perform(machine.parsed(unwrapInboundIn(data)), context: context)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        perform(machine.parseFailed(headTooLarge: parserError == .headerOverflow), context: context)
    }

    func read(context: ChannelHandlerContext) {
        if machine.read() { context.read() }
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
        case .writeLast:
            writeLast(data, promise: promise, context: context)
        case .writeLastThenClose:
            // Flushed by the application's flush that follows; the close waits for the write.
            writeLast(data, promise: promise, context: context)
            closeAfterLastResponse(context: context)
        case .drop:
            promise?.fail(ChannelError.ioOnClosedChannel)
        }
        if case .end = part, action != .drop {
            if machine.parserMayRead { gate?.release() }
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
        case .closeWhenIdle, .none: break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        machine.closed()
        lastResponseWritten = nil
        context.fireChannelInactive()
    }

    /// Writes the end of the connection's last response, which a close waits for.
    private func writeLast(_ data: NIOAny, promise: EventLoopPromise<Void>?, context: ChannelHandlerContext) {
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.cascade(to: promise)
        lastResponseWritten = written.futureResult
        context.write(data, promise: written)
    }

    /// Hands on what was held and may go now, and the read that waited for it.
    private func handOnHeld(context: ChannelHandlerContext) {
        var handedOn = false
        while let action = machine.nextHeld() {
            if action != .close, !action.isAnswer { handedOn = true }
            perform(action, context: context)
        }
        // Outside a read cycle, the parts handed on reach the application with this.
        if handedOn { context.fireChannelReadComplete() }
        if machine.pendingRead() { context.read() }
    }

    private func perform(_ action: HTTP1ConnectionStateMachine.ReadAction, context: ChannelHandlerContext) {
        switch action {
        case .forward(let part):
            context.fireChannelRead(wrapInboundOut(part))
        case .hold, .drop:
            break
        case .forwardThenClose(let part):
            context.fireChannelRead(wrapInboundOut(part))
            closeAfterLastResponse(context: context)
        case .dropThenClose, .close:
            closeAfterLastResponse(context: context)
        case .answerAndClose(let status, let message):
            answer(context: context, status: status, message: message)
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
        answered(status, message)
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
        closeAfterLinger(context: context)
    }

    /// Closes the connection's sending side at once, and the connection when its client stops
    /// sending, ``ServerTuning/lingerAfterClose`` has passed or ``ServerTuning/maximumDroppedAfterClose``
    /// bytes have been dropped. Closed with the client's bytes unread (the rest of a head too large,
    /// say), the connection would be reset, and the client could lose the answer.
    private func closeAfterLinger(context: ChannelHandlerContext) {
        droppedWhileLingering = 0
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        let outputClosed = context.eventLoop.makePromise(of: Void.self)
        outputClosed.futureResult.whenComplete { result in
            let context = bound.value
            guard case .success = result else {
                context.close(promise: nil)
                return
            }
            let linger = context.eventLoop.scheduleTask(in: TimeAmount(ServerTuning.lingerAfterClose)) {
                bound.value.close(promise: nil)
            }
            context.channel.closeFuture.whenComplete { _ in linger.cancel() }
        }
        context.close(mode: .output, promise: outputClosed)
    }
}

extension HTTP1ConnectionStateMachine.ReadAction {
    fileprivate var isAnswer: Bool {
        if case .answerAndClose = self { return true }
        return false
    }
}
