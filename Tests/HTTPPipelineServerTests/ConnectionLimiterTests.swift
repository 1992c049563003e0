import NIOCore
import NIOEmbedded
import Testing

@testable import HTTPPipelineServer

/// `ConnectionLimiter`'s accept gate on an in-memory listener, whose reads are its accepts and
/// whose inbound messages are the connections it accepted.
@Suite("Connection limit")
struct ConnectionLimiterTests {
    private struct Listener {
        let channel: EmbeddedChannel
        let reads: ReadCounter

        /// Reads made at the socket by one read from the listener.
        func read() -> Int {
            let before = reads.reads
            channel.read()
            return reads.reads - before
        }

        /// Hands the gate a connection just accepted; returns whether it was passed on.
        func accept(_ connection: EmbeddedChannel) throws -> Bool {
            try channel.writeInbound(connection as any Channel)
            return try channel.readInbound(as: (any Channel).self) != nil
        }
    }

    private static func listener(maximum: Int) throws -> Listener {
        try listener(limiter: ConnectionLimiter(maximum: maximum), loop: EmbeddedEventLoop())
    }

    private static func listener(limiter: ConnectionLimiter, loop: EmbeddedEventLoop) throws -> Listener {
        let reads = ReadCounter()
        let channel = EmbeddedChannel(loop: loop)
        try channel.pipeline.syncOperations.addHandler(reads)
        try channel.pipeline.syncOperations.addHandler(limiter.makeAcceptGate())
        return Listener(channel: channel, reads: reads)
    }

    private static func connection(on listener: Listener) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel(loop: listener.channel.embeddedEventLoop)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    @Test("connections up to the limit are passed on; one past it is closed at once and not passed on")
    func limit() throws {
        let listener = try Self.listener(maximum: 2)
        let connections = try (0..<3).map { _ in try Self.connection(on: listener) }
        #expect(try listener.accept(connections[0]))
        #expect(try listener.accept(connections[1]))
        #expect(connections[1].isActive)
        #expect(try !listener.accept(connections[2]))
        #expect(!connections[2].isActive)
        #expect(connections[0].isActive)
        for connection in connections { _ = try? connection.finish() }
    }

    @Test("the listener accepts below the limit and stops accepting at it")
    func readsHeldAtTheLimit() throws {
        let listener = try Self.listener(maximum: 2)
        let first = try Self.connection(on: listener)
        let second = try Self.connection(on: listener)
        #expect(listener.read() == 1)
        #expect(try listener.accept(first))
        #expect(listener.read() == 1)
        #expect(try listener.accept(second))
        #expect(listener.read() == 0)
        listener.channel.embeddedEventLoop.run()
        #expect(listener.reads.reads == 2)
        _ = try? first.finish()
        _ = try? second.finish()
    }

    @Test("a held accept resumes once a connection closes, and the place it frees admits one connection")
    func resumesWhenAConnectionCloses() throws {
        let listener = try Self.listener(maximum: 1)
        let first = try Self.connection(on: listener)
        let second = try Self.connection(on: listener)
        let third = try Self.connection(on: listener)
        #expect(try listener.accept(first))
        #expect(listener.read() == 0)
        try first.close().wait()
        #expect(listener.reads.reads == 0)
        listener.channel.embeddedEventLoop.run()
        #expect(listener.reads.reads == 1)
        #expect(try listener.accept(second))
        #expect(try !listener.accept(third))
        _ = try? second.finish()
    }

    @Test("two listeners resumed by one freed place both accept, and the loser's connection is closed at once")
    func listenersRace() throws {
        let limiter = ConnectionLimiter(maximum: 1)
        let loop = EmbeddedEventLoop()
        let one = try Self.listener(limiter: limiter, loop: loop)
        let other = try Self.listener(limiter: limiter, loop: loop)
        let first = try Self.connection(on: one)
        let winner = try Self.connection(on: one)
        let loser = try Self.connection(on: other)
        #expect(try one.accept(first))
        #expect(one.read() == 0)
        #expect(other.read() == 0)
        try first.close().wait()
        loop.run()
        #expect(one.reads.reads == 1)
        #expect(other.reads.reads == 1)
        #expect(try one.accept(winner))
        #expect(try !other.accept(loser))
        #expect(!loser.isActive)
        #expect(winner.isActive)
        _ = try? winner.finish()
    }

    @Test("a connection refused at the limit takes no place, and its close frees none")
    func refusedConnectionsAreNotCounted() throws {
        let listener = try Self.listener(maximum: 1)
        let first = try Self.connection(on: listener)
        let refused = try Self.connection(on: listener)
        let third = try Self.connection(on: listener)
        #expect(try listener.accept(first))
        #expect(try !listener.accept(refused))
        listener.channel.embeddedEventLoop.run()
        #expect(try !listener.accept(third))
        #expect(listener.read() == 0)
        try first.close().wait()
        listener.channel.embeddedEventLoop.run()
        let fourth = try Self.connection(on: listener)
        #expect(try listener.accept(fourth))
        _ = try? fourth.finish()
    }

    @Test("a limit below one admits one connection", arguments: [0, -3])
    func atLeastOne(maximum: Int) throws {
        let listener = try Self.listener(maximum: maximum)
        let first = try Self.connection(on: listener)
        let second = try Self.connection(on: listener)
        #expect(try listener.accept(first))
        #expect(try !listener.accept(second))
        _ = try? first.finish()
    }
}
