import HTTPTypes
import Logging
import NIOCore
import NIOHTTP2
import NIOHTTPTypes

/// Serves the streams of an HTTP/2 connection from its frames: each stream's request goes to a
/// task that runs the responder, and the response comes back as frames on the same connection.
///
/// A stream costs no channel of its own: this handler keeps what NIOHTTP2's stream channels would
/// (see ``HTTP2ServedStream``), and the flow-control windows of the streams and the connection
/// (``HTTP2FlowControl``). It gives the client window back as a stream's task takes its body, so a
/// body nobody reads stays with the client; it hands NIOHTTP2 only what the client's windows allow
/// and holds a stream's writer back while they are shut, resetting a stream that stays held back
/// for the write timeout, so a client that never opens a window costs one write per stream.
final class HTTP2StreamsHandler: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    /// What every stream of a connection is served with.
    struct Serving: Sendable {
        let responder: RequestResponder
        let connection: RequestResponder.Connection
        let watchdog: ReadWatchdog
        let tasks: HTTP2StreamTasks
    }

    private let serving: Serving
    private let streamDelegate: any NIOHTTP2StreamDelegate
    private var streams: [HTTP2StreamID: HTTP2ServedStream] = [:]
    private var context: ChannelHandlerContext?
    private var connectionWritable = true
    private var flowControl = HTTP2FlowControl()

    /// - Parameter streamDelegate: told of each stream served, when it opens and when it closes.
    init(serving: Serving, streamDelegate: any NIOHTTP2StreamDelegate) {
        self.serving = serving
        self.streamDelegate = streamDelegate
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        connectionWritable = context.channel.isWritable
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        closeAll()
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.payload {
        case .headers(let headers):
            if let stream = streams[frame.streamID] {
                receiveTrailers(headers, on: stream)
            } else {
                open(frame.streamID, headers: headers, context: context)
            }
        case .data(let data):
            guard let stream = streams[frame.streamID], !stream.inboundEnded else { return }
            flowControl.received(frame.payload.flowControlledBytes, on: stream.id)
            if case .byteBuffer(let buffer) = data.data, buffer.readableBytes > 0 {
                deliver(.body(buffer), to: stream)
            }
            if data.endStream { end(stream) }
        case .windowUpdate(let increment):
            windowsChanged(flowControl.windowUpdate(increment, on: frame.streamID), context: context)
            if frame.streamID == .rootStream { context.fireChannelRead(data) }
        case .settings(.settings(let settings)):
            for setting in settings where setting.parameter == .initialWindowSize {
                windowsChanged(flowControl.initialWindowChanged(to: setting.value), context: context)
            }
            context.fireChannelRead(data)
        default:
            // The connection's own frames (SETTINGS, PING, GOAWAY) are for the handlers after
            // this one; NIOHTTP2 has answered what it must of a stream's.
            if frame.streamID == .rootStream { context.fireChannelRead(data) }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // NIOHTTP2's stream and window events end here: the handlers after this one learn of
        // streams from the stream delegate, and need none of the several events each stream makes.
        switch event {
        case let event as NIOHTTP2WindowUpdatedEvent:
            windowUpdated(event, context: context)
        case let event as StreamClosedEvent:
            let error = event.reason.map { NIOHTTP2Errors.streamClosed(streamID: event.streamID, errorCode: $0) }
            remove(event.streamID, error, context: context)
        case is NIOHTTP2StreamCreatedEvent, is NIOHTTP2BulkStreamWindowChangeEvent:
            // The windows these report are counted from the frames (``HTTP2FlowControl``).
            break
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        connectionWritable = context.channel.isWritable
        updateWritabilityOfAll()
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        closeAll()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let streamError = error as? NIOHTTP2Errors.StreamError else {
            context.fireErrorCaught(error)
            return
        }
        // NIOHTTP2 has reset the stream, or dropped a frame written to one already closed; the
        // connection goes on.
        serving.responder.logger.debug(
            "HTTP/2 stream reset", metadata: ["stream": "\(streamError.streamID)", "error": "\(streamError.baseError)"])
    }

    /// Writes `parts` to `stream` as frames, as far as the client's windows allow, and flushes
    /// them; the rest waits for the windows to open.
    func write(_ parts: [HTTPResponsePart], on stream: HTTP2ServedStream) {
        guard stream.isOpen, let context else { return }
        stream.hasWritten = true
        let frames = flowControl.write(HTTP2ResponseFrames.frames(of: parts), on: stream.id)
        for payload in frames { send(payload, on: stream.id, context: context) }
        if !frames.isEmpty { context.flush() }
        updateWritability(of: stream)
    }

    /// Resets `stream` unless it has closed.
    func reset(_ stream: HTTP2ServedStream) {
        guard stream.isOpen, let context else { return }
        context.writeAndFlush(
            wrapOutboundOut(HTTP2Frame(streamID: stream.id, payload: .rstStream(.cancel))), promise: nil)
        // NIOHTTP2 reports the closure as it sends the frame; a connection that is closing may not.
        remove(stream.id, ChannelError.ioOnClosedChannel, context: context)
    }

    /// Gives the client back the window of what the stream's task has taken, once half of it is
    /// used: the task has taken every part that arrived, and waits for more.
    func creditWindow(of id: HTTP2StreamID) {
        guard let context, let increment = flowControl.bodyTaken(on: id) else { return }
        context.writeAndFlush(
            wrapOutboundOut(HTTP2Frame(streamID: id, payload: .windowUpdate(windowSizeIncrement: increment))),
            promise: nil)
    }

    private func open(_ id: HTTP2StreamID, headers: HTTP2Frame.FramePayload.Headers, context: ChannelHandlerContext) {
        let head: HTTPRequest
        do {
            head = try HTTP2RequestHead.request(headers.headers)
        } catch {
            serving.responder.logger.debug("HTTP/2 request head refused", metadata: ["reason": "\(error.reason)"])
            context.writeAndFlush(
                wrapOutboundOut(HTTP2Frame(streamID: id, payload: .rstStream(.protocolError))), promise: nil)
            return
        }
        let stream = HTTP2ServedStream(
            id: id, handler: NIOLoopBound(self, eventLoop: context.eventLoop), eventLoop: context.eventLoop,
            writeTimeout: serving.responder.configuration.writeTimeout)
        streams[id] = stream
        flowControl.open(id)
        streamDelegate.streamCreated(id, channel: context.channel)
        if headers.endStream { end(stream) }
        updateWritability(of: stream)
        let serving = self.serving
        let writer = ChannelResponseWriter.http2(stream)
        stream.task = serving.tasks.start {
            let reader = InboundRequestReader(stream.inbox, control: stream, watchdog: serving.watchdog)
            let outcome = await serving.responder.respond(
                to: head, reader: reader, writer: writer, connection: serving.connection)
            if outcome.bodyComplete, outcome.responseSent {
                // Both sides have ended the stream: it closes by itself once the response's last
                // frames are sent, which flow control may delay. Resetting it now would lose them;
                // a client that never lets them through has it reset after the write timeout.
                reader.closeUnlessClosed(within: serving.responder.configuration.writeTimeout)
            } else {
                stream.close()
            }
        }
    }

    private func receiveTrailers(_ headers: HTTP2Frame.FramePayload.Headers, on stream: HTTP2ServedStream) {
        guard !stream.inboundEnded else { return }
        do {
            end(stream, trailers: try HTTP2RequestHead.trailers(headers.headers))
        } catch {
            serving.responder.logger.debug("HTTP/2 trailers refused", metadata: ["reason": "\(error.reason)"])
            reset(stream)
        }
    }

    private func end(_ stream: HTTP2ServedStream, trailers: HTTPFields? = nil) {
        deliver(.end(trailers), to: stream)
        stream.inboundEnded = true
        flowControl.inboundEnded(on: stream.id)
    }

    private func deliver(_ part: HTTPRequestPart, to stream: HTTP2ServedStream) {
        stream.inbox.receive(part)
        // The part answers any read the task asked for; the next time it runs out, it asks again.
        _ = stream.inbox.readCompleted()
    }

    private func windowUpdated(_ event: NIOHTTP2WindowUpdatedEvent, context: ChannelHandlerContext) {
        guard event.streamID == .rootStream, let inbound = event.inboundWindowSize,
            let increment = HTTP2FlowControl.connectionCredit(inboundWindow: inbound)
        else { return }
        context.writeAndFlush(
            wrapOutboundOut(HTTP2Frame(streamID: .rootStream, payload: .windowUpdate(windowSizeIncrement: increment))),
            promise: nil)
    }

    /// Sends what the client's windows now let out, and tells the streams whether they may write.
    private func windowsChanged(_ change: HTTP2FlowControl.WindowChange, context: ChannelHandlerContext) {
        switch change {
        case .unchanged:
            return
        case .opened:
            let released = flowControl.release()
            for (id, payload) in released { send(payload, on: id, context: context) }
            if !released.isEmpty { context.flush() }
        case .overflow:
            // NIOHTTP2 has refused the frame that would overflow a window before it came here.
            serving.responder.logger.debug("HTTP/2 flow-control window overflow")
        }
        updateWritabilityOfAll()
    }

    /// Writes a frame that the windows have allowed. A DATA frame that NIOHTTP2 drops instead of
    /// sending, because its stream closed first, gives its bytes back to the connection's window.
    private func send(_ payload: HTTP2Frame.FramePayload, on id: HTTP2StreamID, context: ChannelHandlerContext) {
        let bytes = payload.flowControlledBytes
        guard bytes > 0 else {
            context.write(wrapOutboundOut(HTTP2Frame(streamID: id, payload: payload)), promise: nil)
            return
        }
        let promise = context.eventLoop.makePromise(of: Void.self)
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        promise.futureResult.whenFailure { _ in handler.value.refund(bytes) }
        context.write(wrapOutboundOut(HTTP2Frame(streamID: id, payload: payload)), promise: promise)
    }

    private func refund(_ bytes: Int) {
        guard let context else { return }
        windowsChanged(flowControl.refund(bytes), context: context)
    }

    private func updateWritability(of stream: HTTP2ServedStream) {
        stream.updateWritability(
            flowControlAllows: flowControl.isWritable(stream.id), connectionWritable: connectionWritable)
    }

    private func updateWritabilityOfAll() {
        for stream in streams.values { updateWritability(of: stream) }
    }

    private func remove(_ id: HTTP2StreamID, _ error: (any Error)?, context: ChannelHandlerContext) {
        guard let stream = streams.removeValue(forKey: id) else { return }
        flowControl.close(id)
        stream.closed(error)
        streamDelegate.streamClosed(id, channel: context.channel)
    }

    /// Closes every stream as the connection goes; its handlers learn that from the connection.
    private func closeAll() {
        let open = streams.values
        streams = [:]
        for stream in open { stream.closed(ChannelError.ioOnClosedChannel) }
    }
}
