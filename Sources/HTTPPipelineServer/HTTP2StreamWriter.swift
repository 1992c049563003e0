import NIOCore
import NIOHTTPTypes

/// Writes the response of one HTTP/2 stream from the task that serves it.
///
/// While the stream may take more, a write is handed to the event loop without waiting for it: a
/// response in memory costs one hop. Once flow control holds the stream back, each write waits
/// until it is done, which is how a streamed body keeps pace with its client.
struct HTTP2StreamWriter: ResponsePartWriter {
    let channel: any Channel

    func write(_ part: HTTPResponsePart) async throws {
        try await write([part])
    }

    func write(_ parts: [HTTPResponsePart]) async throws {
        guard channel.isActive else { throw ChannelError.ioOnClosedChannel }
        let channel = self.channel
        guard !channel.isWritable else {
            channel.eventLoop.execute { Self.send(parts, on: channel, promise: nil) }
            return
        }
        let written = channel.eventLoop.makePromise(of: Void.self)
        channel.eventLoop.execute { Self.send(parts, on: channel, promise: written) }
        try await written.futureResult.get()
    }

    private static func send(_ parts: [HTTPResponsePart], on channel: any Channel, promise: EventLoopPromise<Void>?) {
        for part in parts.dropLast() { channel.write(part, promise: nil) }
        if let last = parts.last { channel.write(last, promise: promise) }
        channel.flush()
    }
}
