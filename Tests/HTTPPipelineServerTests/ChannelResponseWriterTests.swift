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

    /// Starts `write` as a task on the channel's event loop, as the server runs a connection's task
    /// (``EventLoopTaskExecutor``), and runs the loop until it has written or is waiting; returns
    /// whether the write has returned, and how.
    private static func startOnTheLoop(
        _ channel: NIOAsyncTestingChannel, _ write: @escaping @Sendable () async throws -> Void
    ) async -> Locked<Result<Void, any Error>?> {
        let outcome = Locked<Result<Void, any Error>?>(nil)
        Task(executorPreference: EventLoopTaskExecutor(channel.eventLoop)) {
            do {
                try await write()
                outcome.withLock { $0 = .success(()) }
            } catch {
                outcome.withLock { $0 = .failure(error) }
            }
        }
        await channel.testingEventLoop.run()
        return outcome
    }

    @Test("a write into an unwritable channel returns once it is writable again, with the write itself still pending")
    func waitsForWritabilityNotForTheWrite() async throws {
        let (channel, held, writer) = try await Self.unwritableChannel()
        let outcome = await Self.startOnTheLoop(channel) {
            try await writer.write([.head(HTTPResponse(status: .ok)), .end(nil)])
        }
        #expect(held.count == 2)
        #expect(outcome.withLock { $0 } == nil, "the write returned while the channel was unwritable")
        try await Self.setWritable(true, channel)
        await channel.testingEventLoop.run()
        // A writer that waited for its write to be sent would still be waiting: a client that
        // stopped reading would then hold a connection that is writable, so never timed out.
        #expect(outcome.withLock { $0.map { (try? $0.get()) != nil } } == true)
        #expect(held.count == 2)
        try await channel.close()
    }

    @Test("a write waiting for its channel to be writable fails when the channel closes")
    func closeFailsAWaitingWrite() async throws {
        let (channel, held, writer) = try await Self.unwritableChannel()
        let outcome = await Self.startOnTheLoop(channel) { try await writer.write(.head(HTTPResponse(status: .ok))) }
        #expect(held.count == 1)
        try await channel.close()
        await channel.testingEventLoop.run()
        #expect(outcome.withLock { $0.map { (try? $0.get()) == nil } } == true, "the write did not fail")
        await #expect(throws: ChannelError.self) { try await writer.write(.end(nil)) }
    }
}
