import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import HTTPPipelineServer

/// The read-ahead and request head deadline of `HTTP1ConnectionHandler` and its parser gate, on an
/// in-memory channel, with the test standing in for the HTTP parser and the application: it
/// reports the requests parsed and writes their responses, and sees the bytes the gate hands the
/// parser. The watchdog's time is the loop's, which only the test moves.
@Suite("HTTP/1.1 read-ahead and request head deadline")
struct HTTP1ReadAheadTests {
    /// Where the HTTP parser would be: records the slices it is handed.
    private final class Parser: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = HTTPServerRequestPart
        var slices: [Int] = []
        private var context: ChannelHandlerContext?
        var readCompletes = 0
        /// Called with each slice, as the parser would report the requests it finds in it.
        var parse: ((ByteBuffer) -> Void)?

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let slice = unwrapInboundIn(data)
            slices.append(slice.readableBytes)
            parse?(slice)
        }

        func channelReadComplete(context: ChannelHandlerContext) {
            readCompletes += 1
        }

        func handlerAdded(context: ChannelHandlerContext) {
            self.context = context
        }

        /// Hands the connection handler a request part, as the parser would.
        func report(_ part: HTTPServerRequestPart) {
            context?.fireChannelRead(wrapInboundOut(part))
        }
    }

    private struct Connection {
        let channel: EmbeddedChannel
        let parser: Parser
        let socketReads: ReadCounter

        func send(_ count: Int) throws {
            try channel.writeInbound(ByteBuffer(repeating: 0x61, count: count))
        }

        /// A request parsed whole: its head and its end.
        func request(_ head: HTTPRequestHead = HTTP1ReadAheadTests.head(.GET)) {
            headParsed(head)
            requestEnded()
        }

        func headParsed(_ head: HTTPRequestHead) {
            parser.report(.head(head))
        }

        func requestEnded() {
            parser.report(.end(nil))
        }

        /// The application answers the oldest request.
        func responseEnded() {
            let head = HTTPResponseHead(version: .http1_1, status: .ok, headers: ["Content-Length": "0"])
            channel.write(HTTPServerResponsePart.head(head), promise: nil)
            channel.write(HTTPServerResponsePart.end(nil), promise: nil)
        }

        func advance(by milliseconds: Int64) {
            channel.embeddedEventLoop.advanceTime(by: .milliseconds(milliseconds))
        }
    }

    /// A connection whose watchdog checks every 10 ms.
    private static func connection(maxWaiting: Int = 2, headTimeout: Duration = .milliseconds(100)) throws
        -> Connection
    {
        let channel = EmbeddedChannel()
        let loop = channel.embeddedEventLoop
        let watchdog = ReadWatchdog(eventLoop: loop, shortestDeadline: .milliseconds(40), time: .following(loop))
        let handler = HTTP1ConnectionHandler(
            channel: channel, maxPipelinedRequests: maxWaiting, headTimeout: headTimeout, watchdog: watchdog,
            openedAt: watchdog.now)
        let parser = Parser()
        let socketReads = ReadCounter()
        try channel.pipeline.syncOperations.addHandler(socketReads)
        try channel.pipeline.syncOperations.addHandler(handler.makeGate())
        try channel.pipeline.syncOperations.addHandler(parser)
        try channel.pipeline.syncOperations.addHandler(handler)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        channel.closeFuture.whenComplete { _ in watchdog.stop() }
        return Connection(channel: channel, parser: parser, socketReads: socketReads)
    }

    /// A request head with the `Host` every HTTP/1.1 request must have.
    private static func head(
        _ method: HTTPMethod, uri: String = "/", headers: HTTPHeaders = [:]
    ) -> HTTPRequestHead {
        var fields = headers
        fields.add(name: "Host", value: "x")
        return HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: fields)
    }

    @Test("bytes reach the parser until the most pipelined requests wait for responses, then wait for an answer")
    func pipelineLimit() throws {
        let connection = try Self.connection(maxWaiting: 2)
        try connection.send(10)
        connection.request()
        try connection.send(10)
        #expect(connection.parser.slices == [10, 10])
        #expect(connection.parser.readCompletes == 2)
        connection.request()
        try connection.send(7)
        #expect(connection.parser.slices == [10, 10])
        #expect(connection.parser.readCompletes == 2)
        connection.responseEnded()
        #expect(connection.parser.slices == [10, 10, 7])
        #expect(connection.parser.readCompletes == 3)
        _ = try? connection.channel.finish()
    }

    @Test("the socket is not read while the parser has no room, and is read again once a response frees some")
    func socketReadsHeld() throws {
        let connection = try Self.connection(maxWaiting: 1)
        connection.channel.read()
        #expect(connection.socketReads.reads == 1)
        connection.request()
        connection.channel.read()
        #expect(connection.socketReads.reads == 1)
        try connection.send(5)
        connection.channel.read()
        #expect(connection.socketReads.reads == 1)
        connection.responseEnded()
        #expect(connection.parser.slices == [5])
        #expect(connection.socketReads.reads == 2)
        _ = try? connection.channel.finish()
    }

    @Test("the request being read does not count against the limit, so that its body gets through")
    func openRequestNotCounted() throws {
        let connection = try Self.connection(maxWaiting: 1)
        connection.headParsed(Self.head(.POST))
        try connection.send(10)
        #expect(connection.parser.slices == [10])
        connection.requestEnded()
        try connection.send(10)
        #expect(connection.parser.slices == [10])
        _ = try? connection.channel.finish()
    }

    @Test("the parser is handed at most 16 KiB at a time")
    func slices() throws {
        let connection = try Self.connection()
        try connection.send(2 * 16_384 + 1)
        #expect(connection.parser.slices == [16_384, 16_384, 1])
        #expect(connection.parser.readCompletes == 1)
        _ = try? connection.channel.finish()
    }

    @Test("the rest of a read waits when a slice of it fills the pipeline")
    func sliceFillsThePipeline() throws {
        let connection = try Self.connection(maxWaiting: 1)
        connection.parser.parse = { [parser = connection.parser] _ in
            parser.report(.head(Self.head(.GET)))
            parser.report(.end(nil))
        }
        try connection.send(40_000)
        #expect(connection.parser.slices == [16_384])
        connection.parser.parse = nil
        connection.responseEnded()
        #expect(connection.parser.slices == [16_384, 16_384, 7_232])
        _ = try? connection.channel.finish()
    }

    @Test(
        "after a request that switches protocols the parser gets nothing more, and the socket is not read again",
        arguments: [
            (head(.CONNECT, uri: "example.com:443"), true),
            (head(.GET, headers: ["Upgrade": "websocket", "Connection": "Upgrade"]), true),
            (head(.GET, headers: ["Upgrade": "websocket"]), false),
        ])
    func protocolSwitch(head: HTTPRequestHead, stopsParser: Bool) throws {
        let connection = try Self.connection()
        connection.headParsed(head)
        try connection.send(3)
        #expect(connection.parser.slices == [3])
        connection.requestEnded()
        connection.responseEnded()
        try connection.send(4)
        connection.channel.read()
        #expect(connection.parser.slices == (stopsParser ? [3] : [3, 4]))
        #expect(connection.socketReads.reads == (stopsParser ? 0 : 1))
        _ = try? connection.channel.finish()
    }

    @Test("a head that does not arrive within the head timeout closes the connection")
    func headTimeout() throws {
        let connection = try Self.connection(headTimeout: .milliseconds(100))
        try connection.send(5)
        connection.advance(by: 100)
        #expect(connection.channel.isActive)
        connection.advance(by: 10)
        #expect(!connection.channel.isActive)
    }

    @Test("a head parsed in time ends its deadline")
    func headInTime() throws {
        let connection = try Self.connection(headTimeout: .milliseconds(100))
        try connection.send(5)
        connection.advance(by: 90)
        connection.headParsed(Self.head(.GET))
        connection.advance(by: 1000)
        #expect(connection.channel.isActive)
        _ = try? connection.channel.finish()
    }

    @Test("a head's deadline runs from its first bytes, not its latest")
    func deadlineFromTheFirstBytes() throws {
        let connection = try Self.connection(headTimeout: .milliseconds(100))
        try connection.send(5)
        connection.advance(by: 60)
        try connection.send(5)
        connection.advance(by: 40)
        #expect(connection.channel.isActive)
        connection.advance(by: 10)
        #expect(!connection.channel.isActive)
    }

    @Test("a request's body starts no head deadline; bytes after the request's end start the next one")
    func bodyStartsNoDeadline() throws {
        let connection = try Self.connection(headTimeout: .milliseconds(100))
        connection.headParsed(Self.head(.POST))
        try connection.send(5)
        connection.advance(by: 1000)
        #expect(connection.channel.isActive)
        connection.requestEnded()
        connection.responseEnded()
        connection.advance(by: 1000)
        #expect(connection.channel.isActive)
        try connection.send(5)
        connection.advance(by: 110)
        #expect(!connection.channel.isActive)
    }

    @Test("bytes held while responses are awaited start no head deadline until they reach the parser")
    func heldBytesStartNoDeadline() throws {
        let connection = try Self.connection(maxWaiting: 1, headTimeout: .milliseconds(100))
        connection.request()
        try connection.send(5)
        connection.advance(by: 1000)
        #expect(connection.channel.isActive)
        connection.responseEnded()
        #expect(connection.parser.slices == [5])
        connection.advance(by: 100)
        #expect(connection.channel.isActive)
        connection.advance(by: 10)
        #expect(!connection.channel.isActive)
    }
}
