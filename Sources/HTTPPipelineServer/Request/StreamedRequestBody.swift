import HTTPPipeline
import HTTPTypes
import Locking
import NIOCore
import NIOHTTPTypes

/// The body of the request being served, read from the connection on demand.
///
/// A handler must read it from one task at a time and only until it returns: a read that overlaps
/// another, or comes after the handler has returned, throws instead of racing the connection.
///
/// The body must arrive in time: within ``Deadline/total`` in all, and at ``Deadline/minimumRate``
/// on average once ``Deadline/gracePeriod`` has passed. Only the time spent waiting for the client
/// counts, so a handler that pauses between reads does not use up its client's time. A read that
/// runs out of time throws a 408 error, which the handler's response (or the pipeline) renders.
///
/// `Sendable` because only the holder of the reading token (`access`) touches its mutable state,
/// and the serving task reads that state only when no read holds the token.
final class StreamedRequestBody: RequestBodySource, @unchecked Sendable {
    /// How long a body may take to arrive.
    struct Deadline: Sendable {
        /// The longest the server waits for the whole body.
        var total: Duration
        /// The slowest average rate, in bytes per second, once the grace period has passed; 0 for
        /// none.
        var minimumRate: Int
        /// How long the server waits before the rate applies.
        var gracePeriod: Duration

        init(_ configuration: HTTPServerConfiguration) {
            total = configuration.requestBodyTimeout
            minimumRate = configuration.minimumRequestBodyRate
            gracePeriod = configuration.requestBodyRateGracePeriod
        }

        /// How long the server may have waited, in all, once `received` bytes have arrived.
        func allowedWait(received: Int) -> Duration {
            guard minimumRate > 0 else { return total }
            let earned = Duration.seconds(Double(received) / Double(minimumRate))
            return min(total, max(gracePeriod, earned))
        }
    }

    private struct Access {
        var reading = false
        var handlerReturned = false
    }

    /// The reading token: whoever holds it may touch the fields below.
    private let access = Locked(Access())
    private let reader: InboundRequestReader
    private let limit: Int
    private let deadline: Deadline
    private var sendContinue: (@Sendable () async throws -> Void)?
    private var waited = Duration.zero
    private(set) var received = 0
    /// Whether the end of the body has been read.
    private(set) var isComplete = false
    /// Whether the body did not arrive in time; the connection cannot carry another request.
    private(set) var timedOut = false

    /// - Parameters:
    ///   - sendContinue: sends `100 Continue` when the client asked for it; called before the
    ///     first read, so a handler that never reads the body never invites it.
    init(
        reader: InboundRequestReader,
        limit: Int,
        deadline: Deadline,
        sendContinue: (@Sendable () async throws -> Void)?
    ) {
        self.reader = reader
        self.limit = limit
        self.deadline = deadline
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
        let part: HTTPRequestPart?
        do {
            part = try await nextPart(then: .fail)
        } catch is ReadWatchdog.Expired {
            timedOut = true
            throw HTTPError(.requestTimeout, message: "The request body did not arrive in time.")
        }
        switch part {
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

    /// The next part of the body, within the time the body has left.
    private func nextPart(then expiry: ReadWatchdog.Expiry) async throws -> HTTPRequestPart? {
        let remaining = deadline.allowedWait(received: received) - waited
        guard remaining > .zero else {
            // As when the watchdog expires a read: nothing more is read from this client.
            reader.endReads()
            throw ReadWatchdog.Expired()
        }
        let started = reader.now
        defer { waited += started.duration(to: reader.now) }
        return try await reader.next(within: remaining, then: expiry)
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
    @discardableResult
    func discardRest(maximum: Int) async -> Bool {
        guard !withheldContinue, !timedOut else { return false }
        var discarded = 0
        while !isComplete {
            switch try? await nextPart(then: .close) {
            case .body(let buffer):
                received += buffer.readableBytes
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
