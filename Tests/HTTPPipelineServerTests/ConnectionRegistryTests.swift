import NIOCore
import NIOEmbedded
import Testing

@testable import HTTPPipelineServer

/// `ConnectionRegistry` with in-memory connections: which connection is asked to finish, when,
/// and how often.
@Suite("Registry of a server's open connections")
struct ConnectionRegistryTests {
    /// Counts the requests to finish that reach a connection's handlers.
    private final class QuiesceCounter: ChannelInboundHandler {
        typealias InboundIn = Never
        var asked = 0

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if event is ChannelShouldQuiesceEvent { asked += 1 }
            context.fireUserInboundEventTriggered(event)
        }
    }

    private static func connection() throws -> (EmbeddedChannel, QuiesceCounter) {
        let counter = QuiesceCounter()
        let channel = EmbeddedChannel(handler: counter)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return (channel, counter)
    }

    @Test("a connection whose protocol is not agreed yet is asked to finish only once it is")
    func askedAfterNegotiation() throws {
        let registry = ConnectionRegistry()
        let (channel, counter) = try Self.connection()
        registry.register(channel)
        registry.quiesceAll()
        #expect(counter.asked == 0)
        registry.negotiated(channel)
        #expect(counter.asked == 1)
        _ = try? channel.finish()
    }

    @Test("a shutdown asks every agreed connection to finish, each once however often it is asked")
    func askedOnce() throws {
        let registry = ConnectionRegistry()
        let (first, firstCounter) = try Self.connection()
        let (second, secondCounter) = try Self.connection()
        for channel in [first, second] {
            registry.register(channel)
            registry.negotiated(channel)
        }
        #expect(firstCounter.asked == 0)
        registry.quiesceAll()
        #expect(firstCounter.asked == 1)
        #expect(secondCounter.asked == 1)
        registry.quiesceAll()
        registry.negotiated(second)
        #expect(firstCounter.asked == 1)
        #expect(secondCounter.asked == 1)
        _ = try? first.finish()
        _ = try? second.finish()
    }

    @Test("a connection that arrives during shutdown is asked to finish as soon as its protocol is agreed")
    func arrivesDuringShutdown() throws {
        let registry = ConnectionRegistry()
        registry.quiesceAll()
        let (channel, counter) = try Self.connection()
        registry.register(channel)
        #expect(counter.asked == 0)
        registry.negotiated(channel)
        #expect(counter.asked == 1)
        registry.quiesceAll()
        #expect(counter.asked == 1)
        _ = try? channel.finish()
    }

    @Test("a connection that has left is neither asked to finish nor closed")
    func unregistered() throws {
        let registry = ConnectionRegistry()
        let (channel, counter) = try Self.connection()
        registry.register(channel)
        registry.negotiated(channel)
        registry.unregister(channel)
        registry.quiesceAll()
        #expect(counter.asked == 0)
        #expect(registry.closeAll() == 0)
        #expect(channel.isActive)
        _ = try? channel.finish()
    }

    @Test("a connection's records go when it leaves: one registered again is asked afresh")
    func registeredAgain() throws {
        let registry = ConnectionRegistry()
        let (channel, counter) = try Self.connection()
        registry.register(channel)
        registry.negotiated(channel)
        registry.quiesceAll()
        #expect(counter.asked == 1)
        registry.unregister(channel)
        registry.register(channel)
        #expect(counter.asked == 1)
        registry.negotiated(channel)
        #expect(counter.asked == 2)
        _ = try? channel.finish()
    }

    @Test("closing every connection closes each, whether agreed or not, and counts them")
    func closeAll() throws {
        let registry = ConnectionRegistry()
        let connections = try (0..<3).map { _ in try Self.connection().0 }
        for channel in connections { registry.register(channel) }
        registry.negotiated(connections[0])
        #expect(registry.closeAll() == 3)
        for channel in connections { #expect(!channel.isActive) }
    }
}
