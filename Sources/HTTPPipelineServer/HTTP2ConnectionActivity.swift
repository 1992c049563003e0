import NIOCore
import NIOHTTP2

/// Closes an HTTP/2 connection (GOAWAY first) once it has had no open stream for the idle
/// timeout; the first stream must open within the first-request timeout.
///
/// NIOHTTP2 calls the delegate on the connection's event loop, which is the only place the
/// counters change.
final class HTTP2ConnectionActivity: NIOHTTP2StreamDelegate, @unchecked Sendable {
    private let channel: any Channel
    private let idleTimeout: TimeAmount
    private var openStreams = 0
    private var timer: Scheduled<Void>?

    init(channel: any Channel, firstRequestTimeout: TimeAmount, idleTimeout: TimeAmount) {
        self.channel = channel
        self.idleTimeout = idleTimeout
        schedule(after: firstRequestTimeout)
    }

    func streamCreated(_ id: HTTP2StreamID, channel: any Channel) {
        openStreams += 1
        timer?.cancel()
        timer = nil
    }

    func streamClosed(_ id: HTTP2StreamID, channel: any Channel) {
        openStreams -= 1
        if openStreams == 0 { schedule(after: idleTimeout) }
    }

    private func schedule(after delay: TimeAmount) {
        timer = channel.eventLoop.scheduleTask(in: delay) { [channel] in
            ConnectionRegistry.quiesce(channel)
        }
    }
}
