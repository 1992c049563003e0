import NIOCore
import NIOEmbedded
import Testing

@testable import HTTPPipelineServer

/// The HTTP/2 connection's flushes, joined by `FlushCoalescingHandler`, on an in-memory channel.
@Suite("Joined flushes of an HTTP/2 connection")
struct FlushCoalescingHandlerTests {
    /// Counts the flushes that reach the socket.
    private final class FlushCounter: ChannelOutboundHandler {
        typealias OutboundIn = IOData
        var flushes = 0

        func flush(context: ChannelHandlerContext) {
            flushes += 1
            context.flush()
        }
    }

    /// Answers every read it sees with a write and a flush, as a stream's response would be.
    private final class AnswerOnRead: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            context.writeAndFlush(wrapOutboundOut(unwrapInboundIn(data)), promise: nil)
        }
    }

    private static func channel(answering: Bool = false) throws -> (EmbeddedChannel, FlushCounter) {
        let counter = FlushCounter()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(counter)
        try channel.pipeline.syncOperations.addHandler(FlushCoalescingHandler())
        if answering { try channel.pipeline.syncOperations.addHandler(AnswerOnRead()) }
        return (channel, counter)
    }

    private static func written(_ channel: EmbeddedChannel) throws -> String {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
        return text
    }

    @Test("flushes queued together on the event loop go out as one")
    func flushesBetweenReads() throws {
        let (channel, counter) = try Self.channel()
        channel.writeAndFlush(ByteBuffer(string: "first "), promise: nil)
        channel.writeAndFlush(ByteBuffer(string: "second"), promise: nil)
        #expect(counter.flushes == 0)
        #expect(try Self.written(channel) == "")
        channel.embeddedEventLoop.run()
        #expect(counter.flushes == 1)
        #expect(try Self.written(channel) == "first second")
        channel.writeAndFlush(ByteBuffer(string: "third"), promise: nil)
        channel.embeddedEventLoop.run()
        #expect(counter.flushes == 2)
        #expect(try Self.written(channel) == "third")
    }

    @Test("flushes made while a read is handled go out when the read completes")
    func flushesDuringARead() throws {
        let (channel, counter) = try Self.channel(answering: true)
        channel.pipeline.fireChannelRead(ByteBuffer(string: "a"))
        channel.pipeline.fireChannelRead(ByteBuffer(string: "b"))
        #expect(counter.flushes == 0)
        channel.pipeline.fireChannelReadComplete()
        #expect(counter.flushes == 1)
        #expect(try Self.written(channel) == "ab")
        channel.embeddedEventLoop.run()
        #expect(counter.flushes == 1)
    }

    @Test("a close sends what is waiting for a flush first")
    func closeFlushesFirst() throws {
        let (channel, counter) = try Self.channel()
        channel.writeAndFlush(ByteBuffer(string: "last frames"), promise: nil)
        let closed = channel.close()
        channel.embeddedEventLoop.run()
        try closed.wait()
        #expect(counter.flushes == 1)
        #expect(try Self.written(channel) == "last frames")
    }
}
