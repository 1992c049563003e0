import NIOCore
import NIOHTTPTypes

/// The parts an HTTP/1.1 connection's async channel reads.
final class AsyncChannelRequestParts: RequestPartSource {
    private var iterator: NIOAsyncChannelInboundStream<HTTPRequestPart>.AsyncIterator

    init(_ inbound: NIOAsyncChannelInboundStream<HTTPRequestPart>) {
        iterator = inbound.makeAsyncIterator()
    }

    func next() async throws -> HTTPRequestPart? {
        try await iterator.next()
    }
}
