import HTTPTypes
import Logging
import NIOCore
import NIOHTTP2
import NIOHTTPTypes

/// Serves the streams of an HTTP/2 connection from its frames: each stream's request goes to a
/// task that runs the responder, and the response comes back as frames on the same connection.
///
/// A stream costs no channel of its own: this handler keeps what NIOHTTP2's stream channels would
/// (see ``HTTP2ServedStream``). It gives the client flow-control window back as the stream's task
/// takes its body, so a body nobody reads stays with the client; it refills the connection's
/// window as NIOHTTP2 reports it used; and it holds a stream's writer back while the client's
/// window for it is shut, resetting a stream whose window stays shut for the write timeout.
final class HTTP2StreamsHandler: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    /// The flow-control window of each stream and of the connection, in both directions, until
    /// the client's SETTINGS say otherwise: the protocol's initial size, which the server keeps.
    static let windowSize = 65_535

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
    /// The client's initial window for new streams (its SETTINGS_INITIAL_WINDOW_SIZE).
    private var initialOutboundWindow = HTTP2StreamsHandler.windowSize

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
            stream.inboundWindow -= data.data.readableBytes + (data.paddingBytes.map { $0 + 1 } ?? 0)
            if case .byteBuffer(let buffer) = data.data, buffer.readableBytes > 0 {
                deliver(.body(buffer), to: stream)
            }
            if data.endStream { end(stream) }
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
        case let event as NIOHTTP2StreamCreatedEvent:
            if let window = event.localInitialWindowSize { initialOutboundWindow = Int(window) }
        case let event as NIOHTTP2BulkStreamWindowChangeEvent:
            initialOutboundWindow += event.delta
            for stream in streams.values {
                stream.outboundWindow += event.delta
                stream.updateWritability(connectionWritable: connectionWritable)
            }
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        connectionWritable = context.channel.isWritable
        for stream in streams.values { stream.updateWritability(connectionWritable: connectionWritable) }
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

    /// Writes `parts` to `stream` as frames and flushes them.
    func write(_ parts: [HTTPResponsePart], on stream: HTTP2ServedStream) {
        guard stream.isOpen, let context else { return }
        stream.hasWritten = true
        for payload in HTTP2ResponseFrames.frames(of: parts) {
            context.write(wrapOutboundOut(HTTP2Frame(streamID: stream.id, payload: payload)), promise: nil)
        }
        context.flush()
        // A window shut from the start reports no change as the frames wait for it.
        stream.updateWritability(connectionWritable: connectionWritable)
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
        guard let stream = streams[id], !stream.inboundEnded, stream.inboundWindow <= Self.windowSize / 2,
            let context
        else { return }
        let increment = Self.windowSize - stream.inboundWindow
        stream.inboundWindow = Self.windowSize
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
            outboundWindow: initialOutboundWindow, writeTimeout: serving.responder.configuration.writeTimeout)
        streams[id] = stream
        streamDelegate.streamCreated(id, channel: context.channel)
        if headers.endStream { end(stream) }
        stream.updateWritability(connectionWritable: connectionWritable)
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
    }

    private func deliver(_ part: HTTPRequestPart, to stream: HTTP2ServedStream) {
        stream.inbox.receive(part)
        // The part answers any read the task asked for; the next time it runs out, it asks again.
        _ = stream.inbox.readCompleted()
    }

    private func windowUpdated(_ event: NIOHTTP2WindowUpdatedEvent, context: ChannelHandlerContext) {
        if event.streamID == .rootStream {
            // The connection's window only bounds what all streams send together, and each
            // stream's window bounds what it can leave unread: refill it as soon as half is used.
            guard let inbound = event.inboundWindowSize, inbound <= Self.windowSize / 2 else { return }
            context.writeAndFlush(
                wrapOutboundOut(
                    HTTP2Frame(
                        streamID: .rootStream, payload: .windowUpdate(windowSizeIncrement: Self.windowSize - inbound))),
                promise: nil)
        } else if let stream = streams[event.streamID], let outbound = event.outboundWindowSize {
            stream.outboundWindow = outbound
            stream.updateWritability(connectionWritable: connectionWritable)
        }
    }

    private func remove(_ id: HTTP2StreamID, _ error: (any Error)?, context: ChannelHandlerContext) {
        guard let stream = streams.removeValue(forKey: id) else { return }
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
