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

    /// The next part, or `nil` when the peer is gone; the channel is closed when nothing arrives
    /// within `deadline`.
    func next(within deadline: Duration) async throws -> HTTPRequestPart? {
        watchdog.startWaiting(channel, limit: deadline)
        defer { watchdog.stopWaiting(channel) }
        return try await iterator.next()
    }
}

/// Closes channels whose pending read has waited longer than its limit.
///
/// Arming a timer for every read would wake the event loop twice per read; instead a read only
/// records when it started waiting, and one periodic check per connection — shared by all the
/// streams of an HTTP/2 connection — compares.
final class ReadWatchdog: Sendable {
    private struct Waiting {
        var channel: any Channel
        var since: ContinuousClock.Instant
        var limit: Duration
    }

    private final class PendingReads: Sendable {
        let waiting = Mutex<[ObjectIdentifier: Waiting]>([:])

        func closeOverdue() {
            let now = ContinuousClock.now
            let overdue = waiting.withLock { waiting in
                waiting.values.filter { $0.since.duration(to: now) > $0.limit }.map(\.channel)
            }
            for channel in overdue { channel.close(promise: nil) }
        }
    }

    private let pending = PendingReads()
    private let check: RepeatedTask

    /// Watches reads on `eventLoop`'s channels, checking often enough for deadlines of
    /// `shortestDeadline` and more.
    init(eventLoop: any EventLoop, shortestDeadline: Duration) {
        let interval = min(max(shortestDeadline / 4, .milliseconds(10)), .seconds(1))
        let pending = self.pending
        check = eventLoop.scheduleRepeatedTask(initialDelay: TimeAmount(interval), delay: TimeAmount(interval)) { _ in
            pending.closeOverdue()
        }
    }

    func startWaiting(_ channel: any Channel, limit: Duration) {
        pending.waiting.withLock {
            $0[ObjectIdentifier(channel)] = Waiting(channel: channel, since: .now, limit: limit)
        }
    }

    func stopWaiting(_ channel: any Channel) {
        _ = pending.waiting.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// Stops watching.
    func stop() {
        check.cancel()
    }
}

/// The body of the request being served, read from the connection on demand.
///
/// A handler must read it from one task at a time and only until it returns: a read that overlaps
/// another, or comes after the handler has returned, throws instead of racing the connection.
final class StreamedRequestBody: RequestBodySource, @unchecked Sendable {
    private struct Access {
        var reading = false
        var handlerReturned = false
    }

    /// The reading token: whoever holds it may touch the fields below.
    private let access = Mutex(Access())
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
        let permitted = access.withLock { access in
            guard !access.reading, !access.handlerReturned else { return false }
            access.reading = true
            return true
        }
        guard permitted else { throw BodyMisuse() }
        defer { access.withLock { $0.reading = false } }
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

    /// Ends the handler's access to the body; returns `false` when a read of the handler's is
    /// still under way, in which case the connection cannot be used further.
    func handlerReturned() -> Bool {
        access.withLock { access in
            access.handlerReturned = true
            return !access.reading
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

/// A request body read by two tasks at once, or after its handler returned.
struct BodyMisuse: Error, CustomStringConvertible {
    var description: String {
        "the request body was read concurrently or after the handler returned; read it once, within the handler"
    }
}
