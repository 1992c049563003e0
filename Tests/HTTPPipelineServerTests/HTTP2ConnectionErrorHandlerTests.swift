import Locking
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP2
import Testing

@testable import HTTPPipelineServer

/// `HTTP2ConnectionErrorHandler` and its observer on an in-memory channel: the errors that cost a
/// stream, those that cost the connection, and the GOAWAY that tells the client which requests it
/// may retry.
@Suite("HTTP/2 connection and stream errors")
struct HTTP2ConnectionErrorHandlerTests {
    /// The stream delegate after the observer, which must hear of every stream in turn.
    private final class StreamEvents: NIOHTTP2StreamDelegate {
        private let events = Locked<[String]>([])
        var seen: [String] { events.withLock { $0 } }

        func streamCreated(_ id: HTTP2StreamID, channel: any Channel) {
            events.withLock { $0.append("created \(Int(id))") }
        }

        func streamClosed(_ id: HTTP2StreamID, channel: any Channel) {
            events.withLock { $0.append("closed \(Int(id))") }
        }
    }

    private struct Connection {
        let channel: EmbeddedChannel
        let observer: HTTP2ConnectionErrorHandler.Observer

        func takeUp(_ ids: Int...) {
            for id in ids { observer.streamCreated(HTTP2StreamID(id), channel: channel) }
        }

        /// The GOAWAY NIOHTTP2 sends for a connection error: it names the highest stream possible.
        func goAwaySent(lastStreamID: HTTP2StreamID = .maxID, code: HTTP2ErrorCode = .protocolError) {
            observer.wroteFrame(
                HTTP2Frame(
                    streamID: .rootStream,
                    payload: .goAway(lastStreamID: lastStreamID, errorCode: code, opaqueData: nil)
                ))
        }

        func written() throws -> [HTTP2Frame.FramePayload] {
            var frames: [HTTP2Frame.FramePayload] = []
            while let frame = try channel.readOutbound(as: HTTP2Frame.self) { frames.append(frame.payload) }
            return frames
        }
    }

    private static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    private static func connection(next: StreamEvents = StreamEvents()) throws -> Connection {
        let observer = HTTP2ConnectionErrorHandler.Observer(next: next)
        let channel = EmbeddedChannel(handler: HTTP2ConnectionErrorHandler(observer: observer, logger: logger))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return Connection(channel: channel, observer: observer)
    }

    /// The last stream ID and code of a GOAWAY, or `nil` for another frame.
    private static func goAway(_ payload: HTTP2Frame.FramePayload) -> (HTTP2StreamID, HTTP2ErrorCode)? {
        guard case .goAway(let lastStreamID, let code, _) = payload else { return nil }
        return (lastStreamID, code)
    }

    @Test("a stream error costs only its stream: the connection stays open and nothing is sent")
    func streamError() throws {
        let connection = try Self.connection()
        connection.takeUp(1)
        connection.channel.pipeline.fireErrorCaught(NIOHTTP2Errors.noSuchStream(streamID: 3))
        #expect(connection.channel.isActive)
        #expect(try connection.written().isEmpty)
        _ = try? connection.channel.finish()
    }

    @Test("after a connection error a second GOAWAY names the last stream taken up, then the connection closes")
    func correctedGoAway() throws {
        let connection = try Self.connection()
        connection.takeUp(1, 3)
        connection.goAwaySent(code: .flowControlError)
        connection.channel.pipeline.fireErrorCaught(NIOHTTP2Errors.noSuchStream(streamID: 0))
        let frames = try connection.written()
        #expect(frames.count == 1)
        let sent = frames.first.flatMap(Self.goAway)
        #expect(sent?.0 == 3)
        #expect(sent?.1 == .flowControlError)
        #expect(!connection.channel.isActive)
    }

    @Test("the last stream taken up is the highest, whatever the order streams were taken up in")
    func highestStream() throws {
        let connection = try Self.connection()
        connection.takeUp(5, 3)
        connection.goAwaySent()
        connection.channel.pipeline.fireErrorCaught(NIOHTTP2Errors.noSuchStream(streamID: 0))
        #expect(try connection.written().compactMap(Self.goAway).map(\.0) == [5])
    }

    @Test("a connection error before any stream was taken up names stream 0")
    func noStreamTakenUp() throws {
        let connection = try Self.connection()
        connection.goAwaySent()
        connection.channel.pipeline.fireErrorCaught(NIOHTTP2Errors.noSuchStream(streamID: 0))
        #expect(try connection.written().compactMap(Self.goAway).map(\.0) == [0])
        #expect(!connection.channel.isActive)
    }

    @Test(
        "a GOAWAY that names no later stream than the last taken up is not sent again; the connection still closes",
        arguments: [5, 7])
    func goAwayAlreadyRight(lastTakenUp: Int) throws {
        let connection = try Self.connection()
        connection.takeUp(lastTakenUp)
        connection.goAwaySent(lastStreamID: 5)
        connection.channel.pipeline.fireErrorCaught(NIOHTTP2Errors.noSuchStream(streamID: 0))
        #expect(try connection.written().isEmpty)
        #expect(!connection.channel.isActive)
    }

    @Test("a GOAWAY without an error, as in a graceful shutdown, is no connection error")
    func gracefulGoAway() throws {
        let connection = try Self.connection()
        connection.takeUp(1)
        connection.goAwaySent(lastStreamID: 1, code: .noError)
        connection.observer.wroteFrame(
            HTTP2Frame(streamID: 1, payload: .rstStream(.protocolError)))
        connection.channel.pipeline.fireErrorCaught(NIOHTTP2Errors.noSuchStream(streamID: 3))
        #expect(connection.channel.isActive)
        #expect(try connection.written().isEmpty)
        _ = try? connection.channel.finish()
    }

    @Test(
        "errors NIOHTTP2 meets while sending, and errors that are not HTTP/2's, close the connection without a GOAWAY",
        arguments: [
            NIOHTTP2Errors.raisedGoawayLastStreamID() as any Error,
            NIOHTTP2Errors.unableToSerializeFrame(),
            NIOHTTP2Errors.excessiveOutboundFrameBuffering(),
            IOError(errnoCode: 104, reason: "read"),
        ])
    func errorsWithoutGoAway(error: any Error) throws {
        let connection = try Self.connection()
        connection.takeUp(1)
        connection.channel.pipeline.fireErrorCaught(error)
        #expect(!connection.channel.isActive)
        #expect(try connection.written().isEmpty)
    }

    @Test("the next stream delegate hears of every stream created and closed, in turn")
    func streamsPassedOn() throws {
        let events = StreamEvents()
        let connection = try Self.connection(next: events)
        connection.takeUp(1, 3)
        connection.observer.streamClosed(1, channel: connection.channel)
        #expect(events.seen == ["created 1", "created 3", "closed 1"])
        _ = try? connection.channel.finish()
    }

    // MARK: With NIOHTTP2

    /// The last stream ID of each GOAWAY frame in `bytes`, as sent on the wire.
    private static func goAwayLastStreamIDs(in bytes: ByteBuffer) -> [UInt32] {
        var bytes = bytes
        var ids: [UInt32] = []
        while bytes.readableBytes >= 9 {
            let length = Int(bytes.readInteger(as: UInt16.self)!) << 8 | Int(bytes.readInteger(as: UInt8.self)!)
            let type = bytes.readInteger(as: UInt8.self)!
            // The flags and the stream ID.
            bytes.moveReaderIndex(forwardBy: 5)
            guard var payload = bytes.readSlice(length: length) else { break }
            if type == 0x7, let last = payload.readInteger(as: UInt32.self) { ids.append(last & 0x7fff_ffff) }
        }
        return ids
    }

    @Test(
        "behind NIOHTTP2, a connection error is answered with NIOHTTP2's GOAWAY, then the corrected one, then a close")
    func behindNIOHTTP2() throws {
        let observer = HTTP2ConnectionErrorHandler.Observer(next: StreamEvents())
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(NIOHTTP2Handler(mode: .server, frameDelegate: observer))
        try channel.pipeline.syncOperations.addHandler(
            HTTP2ConnectionErrorHandler(observer: observer, logger: Self.logger))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        observer.streamCreated(1, channel: channel)
        var input = ByteBuffer(string: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        input.writeBytes([0, 0, 0, 0x4, 0, 0, 0, 0, 0])
        input.writeBytes([0, 0, 1, 0x0, 0, 0, 0, 0, 0, 0x61])
        _ = try? channel.writeInbound(input)
        var output = ByteBuffer()
        while var buffer = try channel.readOutbound(as: ByteBuffer.self) { output.writeBuffer(&buffer) }
        #expect(Self.goAwayLastStreamIDs(in: output) == [0x7fff_ffff, 1])
        #expect(!channel.isActive)
    }
}
