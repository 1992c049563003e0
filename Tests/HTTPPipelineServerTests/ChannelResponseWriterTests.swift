import HTTPTypes
import Locking
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Testing

@testable import HTTPPipelineServer

/// The response writer's back-pressure, on a channel whose peer reads nothing.
@Suite("Response writer back-pressure")
struct ChannelResponseWriterTests {
    /// Holds every write, as a socket whose peer reads nothing would: no write ever completes.
    private final class HeldWrites: ChannelOutboundHandler, Sendable {
        typealias OutboundIn = Any
        private let promises = Locked<[EventLoopPromise<Void>?]>([])

        var count: Int { promises.withLock { $0.count } }

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            promises.withLock { $0.append(promise) }
        }

        func flush(context: ChannelHandlerContext) {}
    }

    /// A connected channel whose writes are held, ending in the handler that HTTP/1.1 connections
    /// end in, and made unwritable.
    private static func unwritableChannel() async throws -> (NIOAsyncTestingChannel, HeldWrites, ChannelResponseWriter)
    {
        let channel = NIOAsyncTestingChannel()
        let held = HeldWrites()
        try await channel.pipeline.addHandler(held)
        let ends = try await channel.testingEventLoop.executeInContext {
            try HTTP1RequestPartsHandler.add(to: channel)
        }
        try await channel.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 8080))
        try await setWritable(false, channel)
        return (channel, held, ends.writer)
    }

    private static func setWritable(_ writable: Bool, _ channel: NIOAsyncTestingChannel) async throws {
        channel.isWritable = writable
        try await channel.testingEventLoop.executeInContext { channel.pipeline.fireChannelWritabilityChanged() }
    }

    /// Runs the event loop until `held` has `count` writes.
    private static func runUntil(_ held: HeldWrites, has count: Int, _ channel: NIOAsyncTestingChannel) async {
        for _ in 0..<10_000 where held.count < count {
            await channel.testingEventLoop.run()
            await Task.yield()
        }
    }

    @Test("a write into an unwritable channel returns once it is writable again, with the write itself still pending")
    func waitsForWritabilityNotForTheWrite() async throws {
        let (channel, held, writer) = try await Self.unwritableChannel()
        let returned = Locked(false)
        Task {
            try await writer.write([.head(HTTPResponse(status: .ok)), .end(nil)])
            returned.withLock { $0 = true }
        }
        await Self.runUntil(held, has: 2, channel)
        #expect(held.count == 2)
        try await Self.setWritable(true, channel)
        // A writer that waited for its write to be sent would never return: a client that stopped
        // reading would then hold a connection that is writable, so never timed out.
        for _ in 0..<500 where !returned.withLock({ $0 }) {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(returned.withLock { $0 }, "the write did not return within 5 s of the channel turning writable")
        #expect(held.count == 2)
        try await channel.close()
    }

    @Test("a write waiting for its channel to be writable fails when the channel closes")
    func closeFailsAWaitingWrite() async throws {
        let (channel, held, writer) = try await Self.unwritableChannel()
        let writing = Task { try await writer.write(.head(HTTPResponse(status: .ok))) }
        await Self.runUntil(held, has: 1, channel)
        try await channel.close()
        await #expect(throws: ChannelError.self) { try await writing.value }
        await #expect(throws: ChannelError.self) { try await writer.write(.end(nil)) }
    }
}
