import NIOCore
import NIOHTTP2
import NIOHTTPTypes

/// Writes the response of one HTTP/1.1 request or one HTTP/2 stream from the task that serves it.
///
/// The parts enter the channel's pipeline at a handler's context: on HTTP/1.1, that of the
/// handler at its end, as parts; on HTTP/2, that of the stream's codec, as frames
/// (``HTTP2ResponseFrames``), so that the end of the stream rides on the last frame. From the
/// channel's event loop, where the task runs, a write is sent at once; from any other thread it is
/// handed to the loop. A write that leaves the channel unwritable (the client does not read, or
/// HTTP/2 flow control holds the stream back) returns only once the channel is writable again
/// (``ChannelWritability``), which is how a streamed body keeps pace with its client.
struct ChannelResponseWriter: Sendable {
    /// What the parts become on their way into the pipeline.
    enum Framing {
        /// The parts themselves, for NIO's HTTP/1 encoder.
        case http1
        /// HTTP/2 frame payloads, for the stream's channel.
        case http2
    }

    let channel: any Channel
    /// Where the parts enter the pipeline.
    let entry: NIOLoopBound<ChannelHandlerContext>
    let framing: Framing
    /// The channel's writability, as the handler whose context is `entry` sees it.
    let writability: ChannelWritability

    func write(_ part: HTTPResponsePart) async throws {
        try await write([part])
    }

    /// Writes `parts` together, with one flush.
    func write(_ parts: [HTTPResponsePart]) async throws {
        guard channel.isActive else { throw ChannelError.ioOnClosedChannel }
        let (entry, framing) = (self.entry, self.framing)
        if channel.eventLoop.inEventLoop {
            Self.send(parts, framing: framing, to: entry.value)
        } else {
            channel.eventLoop.execute { Self.send(parts, framing: framing, to: entry.value) }
        }
        if !channel.isWritable { try await writability.waitUntilWritable() }
    }

    private static func send(_ parts: [HTTPResponsePart], framing: Framing, to context: ChannelHandlerContext) {
        switch framing {
        case .http1: for part in parts { context.write(NIOAny(part), promise: nil) }
        case .http2: for frame in HTTP2ResponseFrames.frames(of: parts) { context.write(NIOAny(frame), promise: nil) }
        }
        context.flush()
    }
}
