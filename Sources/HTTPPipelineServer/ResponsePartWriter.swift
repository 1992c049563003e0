import HTTPPipeline
import NIOCore
import NIOHTTPTypes

/// Where the response parts of one HTTP/1.1 request or one HTTP/2 stream go.
protocol ResponsePartWriter: Sendable {
    /// Writes `part`; returns once the channel may take more.
    func write(_ part: HTTPResponsePart) async throws
    /// Writes `parts` together, with one flush.
    func write(_ parts: [HTTPResponsePart]) async throws
}

extension NIOAsyncChannelOutboundWriter: ResponsePartWriter where OutboundOut == HTTPResponsePart {
    func write(_ parts: [HTTPResponsePart]) async throws {
        try await write(contentsOf: parts)
    }
}
