import NIOCore
import NIOHTTPTypes

/// Writes the response of one HTTP/1.1 request or one HTTP/2 stream from the task that serves it.
///
/// On HTTP/1.1 the parts enter the channel's pipeline at the context of the handler at its end;
/// on HTTP/2 the stream's connection handler writes them as frames (``HTTP2ServedStream``). From
/// the channel's event loop, where the task runs, a write is sent at once; from any other thread it
/// is handed to the loop. A write that leaves the connection unwritable (the client does not read)
/// or the stream's flow-control window shut returns only once they open again
/// (``ChannelWritability``), which is how a streamed body keeps pace with its client.
enum ChannelResponseWriter: Sendable {
    /// Into an HTTP/1.1 connection's pipeline, as parts for NIO's encoder, at the context of the
    /// handler at its end; `writability` is the channel's, as that handler sees it.
    case http1(channel: any Channel, entry: NIOLoopBound<ChannelHandlerContext>, writability: ChannelWritability)
    /// Onto an HTTP/2 stream, as frames.
    case http2(HTTP2ServedStream)

    func write(_ part: HTTPResponsePart) async throws {
        try await write([part])
    }

    /// Writes `parts` together, with one flush.
    func write(_ parts: [HTTPResponsePart]) async throws {
        switch self {
        case .http1(let channel, let entry, let writability):
            guard channel.isActive else { throw ChannelError.ioOnClosedChannel }
            if channel.eventLoop.inEventLoop {
                Self.send(parts, to: entry.value)
            } else {
                channel.eventLoop.execute { Self.send(parts, to: entry.value) }
            }
            if !channel.isWritable { try await writability.waitUntilWritable() }
        case .http2(let stream):
            guard stream.isOpen else { throw ChannelError.ioOnClosedChannel }
            if stream.eventLoop.inEventLoop {
                stream.send(parts)
            } else {
                stream.eventLoop.execute { stream.send(parts) }
            }
            if !stream.isWritable { try await stream.writability.waitUntilWritable() }
        }
    }

    private static func send(_ parts: [HTTPResponsePart], to context: ChannelHandlerContext) {
        for part in parts { context.write(NIOAny(part), promise: nil) }
        context.flush()
    }
}
