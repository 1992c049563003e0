import NIOCore
import NIOHTTP2
import NIOHTTPTypes

/// Writes the response of one HTTP/2 stream from the task that serves it.
///
/// The parts become frames here (``HTTP2ResponseFrames``) and enter the stream's pipeline below
/// its codec, so that the end of the stream rides on the last frame. While the stream may take
/// more, a write does not wait: from the stream's event loop, where its task runs, it is sent at
/// once, and from any other thread it is handed to the loop. Once flow control holds the stream
/// back, each write waits until it is done, which is how a streamed body keeps pace with its
/// client.
struct HTTP2StreamWriter: ResponsePartWriter {
    let channel: any Channel
    /// Where frames enter the stream's pipeline: the context of the handler that turns frames into
    /// request parts, so that they go on towards the connection.
    let frames: NIOLoopBound<ChannelHandlerContext>

    func write(_ part: HTTPResponsePart) async throws {
        try await write([part])
    }

    func write(_ parts: [HTTPResponsePart]) async throws {
        guard channel.isActive else { throw ChannelError.ioOnClosedChannel }
        let (channel, frames) = (self.channel, self.frames)
        let written = channel.isWritable ? nil : channel.eventLoop.makePromise(of: Void.self)
        if channel.eventLoop.inEventLoop {
            Self.send(parts, to: frames.value, promise: written)
        } else {
            channel.eventLoop.execute { Self.send(parts, to: frames.value, promise: written) }
        }
        try await written?.futureResult.get()
    }

    private static func send(
        _ parts: [HTTPResponsePart], to context: ChannelHandlerContext, promise: EventLoopPromise<Void>?
    ) {
        let payloads = HTTP2ResponseFrames.frames(of: parts)
        for payload in payloads.dropLast() { context.write(NIOAny(payload), promise: nil) }
        if let last = payloads.last {
            context.write(NIOAny(last), promise: promise)
        } else {
            promise?.succeed()
        }
        context.flush()
    }
}
