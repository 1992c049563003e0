import HTTPPipeline
import HTTPTypes
import Locking
import Logging
import NIOCore
import NIOEmbedded
import NIOHPACK
import NIOHTTP2
import Testing

@testable import HTTPPipelineServer

/// An HTTP/2 connection's handlers on in-memory channels, with NIOHTTP2 on both sides: a client
/// that opens every stream's window and leaves the connection's as it is.
@Suite("HTTP/2 flow control on a connection")
struct HTTP2ConnectionFlowControlTests {
    private static let chunk = 64 * 1024
    private static let chunksPerStream = 256

    /// The server's connection and a client facing it, and what the server's handlers have
    /// written so far, by stream path.
    private struct Connection {
        let server: NIOAsyncTestingChannel
        let client: NIOAsyncTestingChannel
        let written: Locked<[String: Int]>

        /// Carries everything each side wrote to the other, until neither has anything more to say.
        func exchange() async throws {
            var moved = true
            while moved {
                moved = false
                await server.testingEventLoop.run()
                while let bytes = try await server.readOutbound(as: IOData.self) {
                    guard case .byteBuffer(let buffer) = bytes else { continue }
                    try await client.writeInbound(buffer)
                    moved = true
                }
                while let bytes = try await client.readOutbound(as: IOData.self) {
                    guard case .byteBuffer(let buffer) = bytes else { continue }
                    try await server.writeInbound(buffer)
                    moved = true
                }
            }
        }

        /// The DATA bytes the client has received on each stream since the last call.
        func received() async throws -> [HTTP2StreamID: Int] {
            var bytes: [HTTP2StreamID: Int] = [:]
            while let frame = try await client.readInbound(as: HTTP2Frame.self) {
                if case .data(let data) = frame.payload { bytes[frame.streamID, default: 0] += data.data.readableBytes }
            }
            return bytes
        }

        func send(_ payload: HTTP2Frame.FramePayload, on id: HTTP2StreamID) async throws {
            try await client.writeAndFlush(HTTP2Frame(streamID: id, payload: payload))
        }

        var totalWritten: Int { written.withLock { $0.values.reduce(0, +) } }
    }

    /// A server whose `/flood/N` routes each write `chunksPerStream` chunks of 64 KiB, counting
    /// what they manage to write, and a client whose streams' windows are as large as allowed.
    private static func connection() async throws -> Connection {
        let written = Locked<[String: Int]>([:])
        var router = Router()
        for stream in 0..<4 {
            let path = "/flood/\(stream)"
            router.get(path) { _, _ in
                Response(
                    status: .ok,
                    body: ResponseBody { writer in
                        for _ in 0..<chunksPerStream {
                            try await writer.write(ByteBuffer(repeating: 0x78, count: chunk))
                            written.withLock { $0[path, default: 0] += chunk }
                        }
                    })
            }
        }
        let server = NIOAsyncTestingChannel()
        let responder = RequestResponder(
            pipeline: Pipeline(handler: router), configuration: HTTPServerConfiguration(port: 0),
            logger: Logger(label: "test"), metrics: nil)
        try await server.testingEventLoop.executeInContext {
            _ = try HTTPServer.configureHTTP2(
                server, configuration: responder.configuration, responder: responder, secure: false,
                watchdog: ReadWatchdog.watching(server, configuration: responder.configuration),
                logger: responder.logger)
        }
        try await server.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 8080))

        let client = NIOAsyncTestingChannel()
        try await client.testingEventLoop.executeInContext {
            try client.pipeline.syncOperations.addHandler(
                NIOHTTP2Handler(
                    mode: .client,
                    initialSettings: [
                        HTTP2Setting(parameter: .maxConcurrentStreams, value: 100),
                        HTTP2Setting(parameter: .initialWindowSize, value: HTTP2FlowControl.maximumWindow),
                    ]))
        }
        try await client.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 8080))
        return Connection(server: server, client: client, written: written)
    }

    private static func request(_ path: String) -> HTTP2Frame.FramePayload {
        .headers(
            .init(
                headers: [":method": "GET", ":scheme": "http", ":authority": "localhost", ":path": path],
                endStream: true))
    }

    @Test(
        "streams whose own windows are open stop writing once the connection's window is used, and share it as it opens"
    )
    func connectionWindowBoundsAndShares() async throws {
        let connection = try await Self.connection()
        let streams = (0..<4).map { HTTP2StreamID(2 * $0 + 1) }
        for (index, id) in streams.enumerated() {
            try await connection.send(Self.request("/flood/\(index)"), on: id)
        }
        try await connection.exchange()

        // Each stream has written one chunk: its first write goes out as far as the windows
        // allow, and the stream then waits. Before, each wrote all 16 MiB into NIOHTTP2's buffer.
        #expect(connection.totalWritten <= streams.count * 2 * Self.chunk, "\(connection.written.withLock { $0 })")
        let first = try await connection.received()
        #expect(first.values.reduce(0, +) == HTTP2FlowControl.protocolWindow)

        // Each WINDOW_UPDATE of the connection's window is shared by the four streams.
        var totals: [HTTP2StreamID: Int] = [:]
        for _ in 0..<8 {
            try await connection.send(
                .windowUpdate(windowSizeIncrement: 4 * HTTP2FlowControl.frameSize), on: .rootStream)
            try await connection.exchange()
            for (id, bytes) in try await connection.received() { totals[id, default: 0] += bytes }
        }
        #expect(totals.values.reduce(0, +) == 8 * 4 * HTTP2FlowControl.frameSize, "\(totals)")
        for id in streams {
            // A stream whose held write ran out takes the rest of its turn from the next write.
            #expect(abs((totals[id] ?? 0) - 8 * HTTP2FlowControl.frameSize) <= HTTP2FlowControl.frameSize, "\(totals)")
        }
        #expect(connection.totalWritten <= streams.count * 3 * Self.chunk, "\(connection.written.withLock { $0 })")

        try await connection.server.close()
        try await connection.client.close()
    }
}
