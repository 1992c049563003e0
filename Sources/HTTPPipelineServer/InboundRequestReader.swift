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
    private let watchdog: ReadWatchdog

    init(_ inbound: NIOAsyncChannelInboundStream<HTTPRequestPart>, watchdog: ReadWatchdog) {
        self.iterator = inbound.makeAsyncIterator()
        self.watchdog = watchdog
    }

    /// The next part, or `nil` when the peer is gone; the channel is closed when nothing arrives
    /// within `deadline`.
    func next(within deadline: Duration) async throws -> HTTPRequestPart? {
        watchdog.startWaiting(limit: deadline)
        defer { watchdog.stopWaiting() }
        return try await iterator.next()
    }
}

/// Closes a channel whose pending read has waited longer than its limit.
///
/// Arming a timer for every read would wake the event loop twice per read; instead a read only
/// records when it started waiting, and one periodic check per channel compares.
final class ReadWatchdog: Sendable {
    private final class PendingRead: Sendable {
        struct Waiting {
            var since: ContinuousClock.Instant
            var limit: Duration
        }

        let waiting = Mutex<Waiting?>(nil)

        var isOverdue: Bool {
            waiting.withLock { waiting in
                guard let waiting else { return false }
                return waiting.since.duration(to: .now) > waiting.limit
            }
        }
    }

    private let pending = PendingRead()
    private let check: RepeatedTask

    /// Watches `channel`, checking every `interval`.
    init(channel: any Channel, interval: Duration) {
        let pending = self.pending
        check = channel.eventLoop.scheduleRepeatedTask(
            initialDelay: TimeAmount(interval),
            delay: TimeAmount(interval)
        ) { task in
            if pending.isOverdue {
                channel.close(promise: nil)
                task.cancel()
            }
        }
    }

    /// A watchdog checking often enough for deadlines of `shortestDeadline` and more.
    convenience init(channel: any Channel, shortestDeadline: Duration) {
        self.init(channel: channel, interval: min(max(shortestDeadline / 4, .milliseconds(10)), .seconds(1)))
    }

    func startWaiting(limit: Duration) {
        pending.waiting.withLock { $0 = PendingRead.Waiting(since: .now, limit: limit) }
    }

    func stopWaiting() {
        pending.waiting.withLock { $0 = nil }
    }

    /// Stops watching.
    func stop() {
        check.cancel()
    }
}

/// The body of the request being served, read from the connection on demand.
final class StreamedRequestBody: RequestBodySource, @unchecked Sendable {
    private let reader: InboundRequestReader
    private let limit: Int
    private let readTimeout: Duration
    private var sendContinue: (@Sendable () async throws -> Void)?
    private(set) var received = 0
    /// Whether the end of the body has been read.
    private(set) var isComplete = false

    /// - Parameters:
    ///   - readTimeout: how long each part of the body may take to arrive.
    ///   - sendContinue: sends `100 Continue` when the client asked for it; called before the
    ///     first read, so a handler that never reads the body never invites it.
    init(
        reader: InboundRequestReader,
        limit: Int,
        readTimeout: Duration,
        sendContinue: (@Sendable () async throws -> Void)?
    ) {
        self.reader = reader
        self.limit = limit
        self.readTimeout = readTimeout
        self.sendContinue = sendContinue
    }

    /// Whether `100 Continue` was due and never sent: the client may not send the body at all.
    var withheldContinue: Bool { sendContinue != nil }

    func nextBuffer() async throws -> ByteBuffer? {
        guard !isComplete else { return nil }
        if let send = sendContinue {
            sendContinue = nil
            try await send()
        }
        switch try await reader.next(within: readTimeout) {
        case .body(let buffer):
            received += buffer.readableBytes
            guard received <= limit else { throw HTTPError.contentTooLarge(limit: limit) }
            return buffer
        case .end:
            isComplete = true
            return nil
        case .head, nil:
            isComplete = true
            throw HTTPError(.badRequest, message: "The request body ended before it was complete.")
        }
    }

    /// Reads and discards what is left of the body, up to `maximum` bytes; returns whether the
    /// body ended properly. On HTTP/1.1 that leaves the connection ready for the next request; on
    /// HTTP/2 it lets the stream close cleanly instead of being reset while the client is still
    /// sending.
    func discardRest(maximum: Int) async -> Bool {
        guard !withheldContinue else { return false }
        var discarded = 0
        while !isComplete {
            switch try? await reader.next(within: readTimeout) {
            case .body(let buffer):
                discarded += buffer.readableBytes
                if discarded > maximum { return false }
            case .end:
                isComplete = true
            case .head, nil:
                isComplete = true
                return false
            }
        }
        return true
    }
}
