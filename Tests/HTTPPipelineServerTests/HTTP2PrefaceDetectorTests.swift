import NIOCore
import NIOEmbedded
import NIOTLS
import Testing

@testable import HTTPPipelineServer

/// `HTTP2PrefaceDetector` on an in-memory channel: which protocol the first bytes choose, and that
/// the bytes it held reach the protocol's handlers whole.
@Suite("HTTP/2 prior-knowledge preface detection")
struct HTTP2PrefaceDetectorTests {
    private static let preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

    /// What reaches the handlers after the detector, in order.
    private final class Recorder: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        var seen: [String] = []

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case .handshakeCompleted(let negotiated) = event as? TLSUserEvent {
                seen.append("protocol \(negotiated ?? "none")")
            }
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            seen.append("bytes \(String(buffer: unwrapInboundIn(data)))")
        }

        func channelInactive(context: ChannelHandlerContext) {
            seen.append("inactive")
        }
    }

    private static func connection() throws -> (EmbeddedChannel, Recorder) {
        let recorder = Recorder()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(HTTP2PrefaceDetector())
        try channel.pipeline.syncOperations.addHandler(recorder)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return (channel, recorder)
    }

    private static func detectorRemoved(_ channel: EmbeddedChannel) -> Bool {
        (try? channel.pipeline.syncOperations.handler(type: HTTP2PrefaceDetector.self)) == nil
    }

    @Test("the whole preface, even one byte a read, chooses HTTP/2 and reaches it whole with what followed it")
    func http2ByteByByte() throws {
        let (channel, recorder) = try Self.connection()
        for byte in Self.preface.utf8.dropLast() {
            try channel.writeInbound(ByteBuffer(bytes: [byte]))
        }
        #expect(recorder.seen.isEmpty)
        #expect(!Self.detectorRemoved(channel))
        try channel.writeInbound(ByteBuffer(string: "\n" + "frames"))
        #expect(recorder.seen == ["protocol h2", "bytes \(Self.preface)frames"])
        #expect(Self.detectorRemoved(channel))
        try channel.writeInbound(ByteBuffer(string: "more"))
        #expect(recorder.seen.last == "bytes more")
        #expect(recorder.seen.count == 3)
        _ = try? channel.finish()
    }

    @Test("the first byte that differs from the preface chooses HTTP/1.1 at once", arguments: [1, 11, 24])
    func http1AtTheFirstDifference(matching: Int) throws {
        let (channel, recorder) = try Self.connection()
        let sent = String(decoding: Self.preface.utf8.prefix(matching - 1), as: UTF8.self) + "X"
        try channel.writeInbound(ByteBuffer(string: sent))
        #expect(recorder.seen == ["protocol none", "bytes \(sent)"])
        #expect(Self.detectorRemoved(channel))
        _ = try? channel.finish()
    }

    @Test("a request of HTTP/1.1 goes through unchanged")
    func http1Request() throws {
        let (channel, recorder) = try Self.connection()
        try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\n"))
        try channel.writeInbound(ByteBuffer(string: "Host: x\r\n\r\n"))
        #expect(recorder.seen == ["protocol none", "bytes GET / HTTP/1.1\r\n", "bytes Host: x\r\n\r\n"])
        _ = try? channel.finish()
    }

    @Test("a connection that closes during the preface is HTTP/1.1, and gets the bytes it sent before it ends")
    func closedDuringThePreface() throws {
        let (channel, recorder) = try Self.connection()
        let sent = String(decoding: Self.preface.utf8.dropLast(), as: UTF8.self)
        try channel.writeInbound(ByteBuffer(string: sent))
        #expect(recorder.seen.isEmpty)
        try channel.close().wait()
        #expect(recorder.seen == ["protocol none", "bytes \(sent)", "inactive"])
    }

    @Test("a connection that closes before sending anything chooses no protocol")
    func closedBeforeAnything() throws {
        let (channel, recorder) = try Self.connection()
        try channel.close().wait()
        #expect(recorder.seen == ["inactive"])
    }
}
