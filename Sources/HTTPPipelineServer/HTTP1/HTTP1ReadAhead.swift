import NIOCore
import NIOHTTP1

/// Bounds what an HTTP/1.1 connection reads ahead of its responses, and gives every request head
/// its own deadline.
///
/// A client may pipeline requests and never read the answers. Each parsed request waits in memory
/// for its turn, so reading on would let one connection fill the server's memory. Two handlers
/// share this state: the ``Gate``, before the HTTP parser, holds the connection's bytes (and stops
/// reading from the socket, so the client's sends back up into its own buffers) while
/// ``HTTPServerConfiguration/maxPipelinedRequests`` requests wait for their responses;
/// ``HTTP1ConnectionHandler``, after the parser, reports requests in and responses out, which
/// opens the gate again.
///
/// The gate hands the parser at most 16 KiB at a time, since the parser takes whatever it is given
/// in one go; the request being read is not counted, so that its body gets through. After a
/// request that switches protocols (CONNECT, `Upgrade`), which stops the parser, the gate holds
/// everything until the connection closes.
///
/// The same two vantage points give a request head its deadline: bytes handed to the parser while
/// no request is open start one, and the parsed head ends it. A client that trickles a head after
/// a completed request is thus closed after ``HTTPServerConfiguration/requestHeadTimeout``, not
/// after the idle timeout. (A head whose first bytes come with the end of the previous request
/// gets its deadline from its next bytes; until then the idle timeout bounds it.)
final class HTTP1ReadAhead {
    private let maxWaiting: Int
    private let headTimeout: Duration
    private let channel: any Channel
    private let watchdog: ReadWatchdog
    /// Requests parsed whose response has not ended yet.
    private var waiting = 0
    /// A request head has been parsed and its end has not.
    private var requestOpen = false
    /// The open request switches protocols: the parser takes nothing after it.
    private var requestStopsParser = false
    /// The parser has stopped; whatever else arrives is held, unread, until the close.
    private var parserStopped = false
    /// When the first bytes of the head being received arrived.
    private var headStarted: ContinuousClock.Instant?
    private weak var gate: Gate?

    /// Bounds what `channel` reads ahead; `watchdog` checks the head deadline.
    init(channel: any Channel, maxWaiting: Int, headTimeout: Duration, watchdog: ReadWatchdog) {
        self.channel = channel
        self.maxWaiting = max(1, maxWaiting)
        self.headTimeout = headTimeout
        self.watchdog = watchdog
        let state = NIOLoopBound(self, eventLoop: channel.eventLoop)
        watchdog.addCheck { now in state.value.closeIfHeadOverdue(now: now) }
    }

    /// The handler to place before the HTTP parser.
    func makeGate() -> Gate {
        let gate = Gate(state: self)
        self.gate = gate
        return gate
    }

    /// Whether the parser may have more bytes. The request being read does not count against the
    /// limit: its own body must be let through.
    fileprivate var hasRoom: Bool {
        !parserStopped && waiting - (requestOpen ? 1 : 0) < maxWaiting
    }

    /// Bytes are about to reach the parser: if no request is open, they start a head.
    fileprivate func bytesParsing() {
        if !requestOpen, headStarted == nil { headStarted = watchdog.now }
    }

    func headParsed(_ head: HTTPRequestHead) {
        waiting += 1
        requestOpen = true
        requestStopsParser = head.stopsHTTP1Parser
        headStarted = nil
    }

    private func closeIfHeadOverdue(now: ContinuousClock.Instant) {
        guard let headStarted, headStarted.duration(to: now) > headTimeout else { return }
        channel.close(promise: nil)
    }

    func requestEnded() {
        requestOpen = false
        if requestStopsParser { parserStopped = true }
    }

    func responseEnded() {
        waiting = max(0, waiting - 1)
        if hasRoom { gate?.release() }
    }

    /// Holds the connection's bytes while too many requests wait for their responses.
    final class Gate: ChannelDuplexHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer
        typealias OutboundIn = IOData

        private let state: HTTP1ReadAhead
        private var held = CircularBuffer<ByteBuffer>()
        private var readHeld = false
        private var forwarding = false
        private var readCompleteOwed = false
        private var context: ChannelHandlerContext?

        fileprivate init(state: HTTP1ReadAhead) {
            self.state = state
        }

        func handlerAdded(context: ChannelHandlerContext) {
            self.context = context
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            self.context = nil
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            held.append(unwrapInboundIn(data))
            if forwardWhileRoom(context: context) { readCompleteOwed = true }
        }

        func channelReadComplete(context: ChannelHandlerContext) {
            guard readCompleteOwed else { return }
            readCompleteOwed = false
            context.fireChannelReadComplete()
        }

        func read(context: ChannelHandlerContext) {
            if held.isEmpty, state.hasRoom {
                context.read()
            } else {
                readHeld = true
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            held.removeAll()
            context.fireChannelInactive()
        }

        /// Called when a response has ended and there is room again.
        fileprivate func release() {
            guard let context, !forwarding else { return }
            if forwardWhileRoom(context: context) { context.fireChannelReadComplete() }
            if held.isEmpty, readHeld {
                readHeld = false
                context.read()
            }
        }

        /// Hands the parser what it may take now; returns whether it handed anything.
        private func forwardWhileRoom(context: ChannelHandlerContext) -> Bool {
            guard !forwarding else { return false }
            forwarding = true
            defer { forwarding = false }
            var forwarded = false
            while state.hasRoom, var buffer = held.popFirst() {
                let slice = buffer.readSlice(length: min(buffer.readableBytes, ServerTuning.parserSliceSize))!
                if buffer.readableBytes > 0 { held.prepend(buffer) }
                state.bytesParsing()
                context.fireChannelRead(wrapInboundOut(slice))
                forwarded = true
            }
            return forwarded
        }
    }
}
