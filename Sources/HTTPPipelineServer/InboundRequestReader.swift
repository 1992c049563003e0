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
    private var iterator: NIOAsyncChannelInboundStream<HTTPRequestPart>.AsyncIterator
    private let channel: any Channel
    private let watchdog: ReadWatchdog
    private let waiter: ReadWatchdog.Waiter

    init(_ inbound: NIOAsyncChannelInboundStream<HTTPRequestPart>, channel: any Channel, watchdog: ReadWatchdog) {
        self.iterator = inbound.makeAsyncIterator()
        self.channel = channel
        self.watchdog = watchdog
        self.waiter = watchdog.makeWaiter(for: channel)
    }

    deinit {
        watchdog.forget(waiter)
    }

    /// The next part, or `nil` when the peer is gone; when nothing arrives within `deadline` the
    /// channel is closed, or with `expiry` set to `.fail`, the read throws
    /// ``ReadWatchdog/Expired``.
    func next(within deadline: Duration, then expiry: ReadWatchdog.Expiry = .close) async throws -> HTTPRequestPart? {
        waiter.start(limit: deadline, then: expiry)
        defer { waiter.stop() }
        return try await iterator.next()
    }

    /// Waits until the channel closes by itself, closing it after `deadline`.
    func waitForClose(within deadline: Duration) async {
        waiter.start(limit: deadline, then: .close)
        defer { waiter.stop() }
        try? await channel.closeFuture.get()
    }

    /// Ends the connection's (or stream's) reads: once what has arrived is read, every read throws
    /// ``ReadWatchdog/Expired``. A response can still be written.
    func endReads() {
        channel.pipeline.fireErrorCaught(ReadWatchdog.Expired())
    }
}
