import HTTPPipeline
import HTTPTypes
import NIOCore
import NIOHTTPTypes
import Synchronization

/// The request parts arriving on one HTTP/1.1 connection or one HTTP/2 stream.
///
/// Only the task serving the connection reads from it — between requests, and through a
/// request's body while the handler runs — which is why it may be shared as `Sendable`. Every
/// read has a deadline: a peer that stops sending in the middle of a request has its connection
/// (or stream) closed.
final class InboundRequestReader: @unchecked Sendable {
    private var iterator: NIOAsyncChannelInboundStream<HTTPRequestPart>.AsyncIterator
    private let channel: any Channel
    private let watchdog: ReadWatchdog

    init(_ inbound: NIOAsyncChannelInboundStream<HTTPRequestPart>, channel: any Channel, watchdog: ReadWatchdog) {
        self.iterator = inbound.makeAsyncIterator()
        self.channel = channel
        self.watchdog = watchdog
    }

    /// The next part, or `nil` when the peer is gone; when nothing arrives within `deadline` the
    /// channel is closed, or with `expiry` set to `.fail`, the read throws that error.
    func next(within deadline: Duration, then expiry: ReadWatchdog.Expiry = .close) async throws -> HTTPRequestPart? {
        let key = ObjectIdentifier(self)
        watchdog.startWaiting(key, channel: channel, limit: deadline, then: expiry)
        defer { watchdog.stopWaiting(key) }
        return try await iterator.next()
    }

    /// Ends the connection's (or stream's) reads with `error`: once what has arrived is read,
    /// every read throws it. A response can still be written.
    func endReads(with error: any Error) {
        channel.pipeline.fireErrorCaught(error)
    }
}
