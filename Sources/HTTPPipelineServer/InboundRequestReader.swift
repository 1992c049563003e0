import HTTPPipeline
import NIOCore
import NIOHTTPTypes

/// The request parts arriving on one HTTP/1.1 connection or one HTTP/2 stream.
///
/// Only the task serving the connection reads from it — between requests, and through a
/// request's body while the handler runs — which is why it may be shared as `Sendable`.
final class InboundRequestReader: @unchecked Sendable {
    private var iterator: NIOAsyncChannelInboundStream<HTTPRequestPart>.AsyncIterator

    init(_ inbound: NIOAsyncChannelInboundStream<HTTPRequestPart>) {
        self.iterator = inbound.makeAsyncIterator()
    }

    func next() async throws -> HTTPRequestPart? {
        try await iterator.next()
    }
}

/// The body of the request being served, read from the connection on demand.
final class StreamedRequestBody: RequestBodySource, @unchecked Sendable {
    private let reader: InboundRequestReader
    private let limit: Int
    private var sendContinue: (@Sendable () async throws -> Void)?
    private(set) var received = 0
    /// Whether the end of the body has been read.
    private(set) var isComplete = false

    /// - Parameter sendContinue: sends `100 Continue` when the client asked for it; called before
    ///   the first read, so a handler that never reads the body never invites it.
    init(reader: InboundRequestReader, limit: Int, sendContinue: (@Sendable () async throws -> Void)?) {
        self.reader = reader
        self.limit = limit
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
        switch try await reader.next() {
        case .body(let buffer):
            received += buffer.readableBytes
            guard received <= limit else { throw HTTPError.contentTooLarge(limit: limit) }
            return buffer
        case .end, .head, nil:
            isComplete = true
            return nil
        }
    }

    /// Reads and discards what is left of the body, up to `maximum` bytes; returns whether the
    /// body ended. On HTTP/1.1 that leaves the connection ready for the next request; on HTTP/2 it
    /// lets the stream close cleanly instead of being reset while the client is still sending.
    func discardRest(maximum: Int) async -> Bool {
        guard !withheldContinue else { return false }
        var discarded = 0
        while !isComplete {
            switch try? await reader.next() {
            case .body(let buffer):
                discarded += buffer.readableBytes
                if discarded > maximum { return false }
            case .end, .head, nil:
                isComplete = true
            }
        }
        return true
    }
}
