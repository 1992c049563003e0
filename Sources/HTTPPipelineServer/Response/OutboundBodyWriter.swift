import HTTPPipeline
import NIOCore
import NIOHTTPTypes

/// Sends a streamed response body as body parts.
struct OutboundBodyWriter: ResponseBodyWriter {
    let writer: ChannelResponseWriter

    func write(_ buffer: ByteBuffer) async throws {
        try await writer.write(.body(buffer))
    }
}
