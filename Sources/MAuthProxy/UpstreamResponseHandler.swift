import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// The end of a pooled upstream connection that receives responses, one exchange at a time.
///
/// The channel does not read on its own: it reads while a response's head is awaited, while its
/// body's consumer wants more, and between exchanges, so a slow client slows the upstream down
/// instead of filling memory. Between exchanges, whatever the upstream sends answers no request:
/// it closes the connection at once, where left unread it would become the next request's
/// answer; and the socket's read interest stays registered from one exchange to the next. The read
/// timeout runs whenever a read is awaited after the request was sent.
final class UpstreamResponseHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart

    /// The body of one response, as its consumer reads it.
    typealias Body = NIOThrowingAsyncSequenceProducer<
        ByteBuffer, any Error, NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark, BodyDemand
    >

    /// Called once an exchange is over, with whether the connection may carry another.
    typealias Finished = @Sendable (_ reusable: Bool) -> Void

    private enum State {
        case idle
        case awaitingHead(EventLoopPromise<HTTPResponseHead>, Body.Source, Finished)
        case streaming(Body.Source, keepAlive: Bool, wantsMore: Bool, Finished)
        case closed
    }

    private var state = State.idle
    /// The exchange under way: demand from an earlier exchange's body is not this one's.
    private var exchange = 0
    private var context: ChannelHandlerContext?
    private var requestSent = false
    private var readTimer: Scheduled<Void>?
    private let readTimeout: TimeAmount

    init(readTimeout: TimeAmount) {
        self.readTimeout = readTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// Starts exchange number `exchange`: the response's head goes to `head`, its body to `body`.
    func begin(
        exchange: Int, head: EventLoopPromise<HTTPResponseHead>, body: Body.Source, finished: @escaping Finished
    ) {
        self.exchange = exchange
        guard case .idle = state, let context else {
            head.fail(HTTPClientError.remoteConnectionClosed)
            body.finish(HTTPClientError.remoteConnectionClosed)
            finished(false)
            return
        }
        state = .awaitingHead(head, body, finished)
        requestSent = false
        context.read()
    }

    /// The request is sent: from now on, a read that takes longer than the timeout fails the
    /// exchange.
    func sentRequest() {
        requestSent = true
        armReadTimer()
    }

    /// The body's consumer of exchange number `exchange` wants more.
    func consumerWantsMore(exchange: Int) {
        guard exchange == self.exchange, case .streaming(let source, let keepAlive, false, let finished) = state else {
            return
        }
        state = .streaming(source, keepAlive: keepAlive, wantsMore: true, finished)
        context?.read()
        armReadTimer()
    }

    /// The body's consumer is gone before the body ended: the rest is never read, so the
    /// connection cannot carry another exchange.
    func consumerGone(exchange: Int) {
        guard exchange == self.exchange, case .streaming(_, _, _, let finished) = state else { return }
        state = .closed
        cancelReadTimer()
        finished(false)
        context?.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        cancelReadTimer()
        switch (unwrapInboundIn(data), state) {
        case (.head(let head), .awaitingHead(let promise, let source, let finished)):
            state = .streaming(source, keepAlive: head.isKeepAlive, wantsMore: true, finished)
            promise.succeed(head)
        case (.body(let part), .streaming(let source, let keepAlive, _, let finished)):
            let result = source.yield(part)
            state = .streaming(source, keepAlive: keepAlive, wantsMore: result == .produceMore, finished)
        case (.end, .streaming(let source, let keepAlive, _, let finished)):
            state = .idle
            source.finish()
            finished(keepAlive)
        default:
            fail(HTTPClientError.remoteConnectionClosed, context: context)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        switch state {
        case .awaitingHead, .streaming(_, _, true, _):
            context.read()
            armReadTimer()
        case .idle:
            // Anything the upstream sends now answers nothing, and fails the connection.
            context.read()
        case .streaming(_, _, false, _), .closed:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(HTTPClientError.remoteConnectionClosed, context: context)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error, context: context)
    }

    /// Ends the exchange under way, if any, with `error`, and closes the connection.
    private func fail(_ error: any Error, context: ChannelHandlerContext) {
        cancelReadTimer()
        let previous = state
        state = .closed
        switch previous {
        case .awaitingHead(let promise, let source, let finished):
            promise.fail(error)
            source.finish(error)
            finished(false)
        case .streaming(let source, _, _, let finished):
            source.finish(error)
            finished(false)
        case .idle, .closed:
            break
        }
        context.close(promise: nil)
    }

    private func armReadTimer() {
        guard requestSent, readTimer == nil, let context else { return }
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        readTimer = context.eventLoop.scheduleTask(in: readTimeout) {
            let handler = bound.value
            handler.readTimer = nil
            if let context = handler.context { handler.fail(HTTPClientError.readTimeout, context: context) }
        }
    }

    private func cancelReadTimer() {
        readTimer?.cancel()
        readTimer = nil
    }
}

/// Tells the handler, on its event loop, what the consumer of one exchange's response body wants.
struct BodyDemand: NIOAsyncSequenceProducerDelegate {
    let handler: NIOLoopBound<UpstreamResponseHandler>
    let exchange: Int

    func produceMore() {
        let (handler, exchange) = (handler, exchange)
        handler.eventLoop.execute { handler.value.consumerWantsMore(exchange: exchange) }
    }

    func didTerminate() {
        let (handler, exchange) = (handler, exchange)
        handler.eventLoop.execute { handler.value.consumerGone(exchange: exchange) }
    }
}
