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
    private let control: any RequestStreamControl
    private let watchdog: ReadWatchdog
    private let waiter: ReadWatchdog.Waiter
    /// Whether the waiter stays watched until the connection or stream closes, after the reader is
    /// gone.
    private var watchedUntilClosed = false

    init(_ source: RequestPartInbox, control: any RequestStreamControl, watchdog: ReadWatchdog) {
        self.source = source
        self.control = control
        self.watchdog = watchdog
        self.waiter = watchdog.makeWaiter(for: control)
    }

    deinit {
        if watchedUntilClosed {
            control.whenClosed { [watchdog, waiter] in watchdog.forget(waiter) }
        } else {
            watchdog.forget(waiter)
        }
    }

    /// The next part, or `nil` when the peer is gone; when nothing arrives within `deadline` the
    /// connection is closed (the stream reset), or with `expiry` set to `.fail`, the read throws
    /// ``ReadWatchdog/Expired``.
    func next(within deadline: Duration, then expiry: ReadWatchdog.Expiry = .close) async throws -> HTTPRequestPart? {
        waiter.start(limit: deadline, then: expiry)
        defer { waiter.stop() }
        return try await source.next()
    }

    /// The time the reader's deadlines are measured in.
    var now: ContinuousClock.Instant { watchdog.now }

    /// Closes the connection (resets the stream) unless it closes by itself within `deadline`; the
    /// reader is not needed for that.
    func closeUnlessClosed(within deadline: Duration) {
        watchedUntilClosed = true
        waiter.start(limit: deadline, then: .close)
    }

    /// Ends the connection's (or stream's) reads: once what has arrived is read, every read throws
    /// ``ReadWatchdog/Expired``. A response can still be written.
    func endReads() {
        control.failReads(ReadWatchdog.Expired())
    }
}
