import HTTPPipeline
import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// The request parts arriving on one HTTP/1.1 connection or one HTTP/2 stream.
///
/// Only the task serving the connection reads from it — between requests, and through a
/// request's body while the handler runs — which is why it may be shared as `Sendable`. Every
/// read has a deadline: a peer that stops sending in the middle of a request has its connection
/// (or stream) closed, or the read fails.
final class InboundRequestReader: @unchecked Sendable {
    private let source: RequestPartInbox
    private let channel: any Channel
    private let watchdog: ReadWatchdog
    private let waiter: ReadWatchdog.Waiter
    /// Whether the waiter stays watched until the channel closes, after the reader is gone.
    private var watchedUntilClosed = false

    init(_ source: RequestPartInbox, channel: any Channel, watchdog: ReadWatchdog) {
        self.source = source
        self.channel = channel
        self.watchdog = watchdog
        self.waiter = watchdog.makeWaiter(for: channel)
    }

    deinit {
        if watchedUntilClosed {
            channel.closeFuture.whenComplete { [watchdog, waiter] _ in watchdog.forget(waiter) }
        } else {
            watchdog.forget(waiter)
        }
    }

    /// The next part, or `nil` when the peer is gone; when nothing arrives within `deadline` the
    /// channel is closed, or with `expiry` set to `.fail`, the read throws
    /// ``ReadWatchdog/Expired``.
    func next(within deadline: Duration, then expiry: ReadWatchdog.Expiry = .close) async throws -> HTTPRequestPart? {
        waiter.start(limit: deadline, then: expiry)
        defer { waiter.stop() }
        return try await source.next()
    }

    /// Closes the channel unless it closes by itself within `deadline`; the reader is not
    /// needed for that.
    func closeUnlessClosed(within deadline: Duration) {
        watchedUntilClosed = true
        waiter.start(limit: deadline, then: .close)
    }

    /// Ends the connection's (or stream's) reads: once what has arrived is read, every read throws
    /// ``ReadWatchdog/Expired``. A response can still be written.
    func endReads() {
        channel.pipeline.fireErrorCaught(ReadWatchdog.Expired())
    }
}
