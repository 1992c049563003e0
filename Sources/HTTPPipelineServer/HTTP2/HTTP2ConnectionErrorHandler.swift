import Locking
import Logging
import NIOCore
import NIOHTTP2

/// Tells an HTTP/2 connection's stream errors from its connection errors, so that one malformed
/// stream costs only that stream.
///
/// NIOHTTP2 reports both kinds through `errorCaught`. For a stream error it has already reset the
/// stream; the connection and its other streams go on. For a connection error it has sent a GOAWAY
/// naming the highest possible stream and left the socket open; this handler then sends a second
/// GOAWAY that names the last stream the server took up (RFC 9113 §6.8 lets a later GOAWAY lower
/// it), so the client knows which requests it may retry, and closes the connection.
///
/// Some connection errors come without a GOAWAY: those NIOHTTP2 meets while sending (it could not
/// encode a frame, too much is queued for a client that does not read, or its GOAWAY would have
/// raised the last stream ID of an earlier one, as during graceful shutdown), and errors that are
/// not HTTP/2's at all (I/O, TLS). They close the connection too.
final class HTTP2ConnectionErrorHandler: ChannelInboundHandler {
    typealias InboundIn = Any
    typealias OutboundOut = HTTP2Frame

    /// What the connection's HTTP/2 handler has done: the streams it opened and the GOAWAY it sent.
    final class Observer: NIOHTTP2StreamDelegate, NIOHTTP2FrameDelegate, Sendable {
        private struct State {
            var lastStreamTakenUp = HTTP2StreamID(0)
            var failure: (lastStreamID: HTTP2StreamID, code: HTTP2ErrorCode)?
        }

        private let state = Locked(State())
        private let next: any NIOHTTP2StreamDelegate

        /// - Parameter next: the stream delegate that is told of every stream in turn.
        init(next: any NIOHTTP2StreamDelegate) {
            self.next = next
        }

        func streamCreated(_ id: HTTP2StreamID, channel: any Channel) {
            state.withLock { $0.lastStreamTakenUp = max($0.lastStreamTakenUp, id) }
            next.streamCreated(id, channel: channel)
        }

        func streamClosed(_ id: HTTP2StreamID, channel: any Channel) {
            next.streamClosed(id, channel: channel)
        }

        func wroteFrame(_ frame: HTTP2Frame) {
            guard case .goAway(let lastStreamID, let code, _) = frame.payload, code != .noError else { return }
            state.withLock { $0.failure = (lastStreamID, code) }
        }

        /// The GOAWAY to send after a connection error: `nil` when there was none, or when the one
        /// sent already names no later stream than the last one taken up.
        fileprivate func correctedGoAway() -> (failed: Bool, frame: HTTP2Frame?) {
            state.withLock { state in
                guard let failure = state.failure else { return (false, nil) }
                guard state.lastStreamTakenUp < failure.lastStreamID else { return (true, nil) }
                let payload = HTTP2Frame.FramePayload.goAway(
                    lastStreamID: state.lastStreamTakenUp, errorCode: failure.code, opaqueData: nil)
                return (true, HTTP2Frame(streamID: .rootStream, payload: payload))
            }
        }
    }

    private let observer: Observer
    private let logger: Logger

    init(observer: Observer, logger: Logger) {
        self.observer = observer
        self.logger = logger
    }

    /// Whether `error` leaves the connection unusable although no GOAWAY reported it.
    private static func endsConnection(_ error: any Error) -> Bool {
        guard error is any NIOHTTP2Error else { return true }
        return error is NIOHTTP2Errors.RaisedGoawayLastStreamID || error is NIOHTTP2Errors.UnableToSerializeFrame
            || error is NIOHTTP2Errors.ExcessiveOutboundFrameBuffering
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let (failed, goAway) = observer.correctedGoAway()
        if !failed, !Self.endsConnection(error) {
            logger.debug("HTTP/2 stream reset", metadata: ["error": "\(error)"])
            return
        }
        logger.debug("HTTP/2 connection closed after an error", metadata: ["error": "\(error)"])
        if let goAway {
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(goAway)).whenComplete { _ in channel.close(promise: nil) }
        } else {
            context.close(promise: nil)
        }
    }
}
