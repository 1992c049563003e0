import Foundation
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import HTTPPipelineServer

/// The HTTP/1.1 parse-error answer, on an in-memory channel: these orderings are races on a real
/// socket, and a second response for one request trips an assertion in NIO's pipelining handler.
@Suite("HTTP/1.1 parse errors answer once")
struct ProtocolErrorHandlerTests {
    private static func channel() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.configureHTTPServerPipeline(
            withPipeliningAssistance: true, withErrorHandling: false)
        try channel.pipeline.syncOperations.addHandler(HTTP1ProtocolErrorHandler())
        return channel
    }

    private static func respond(_ channel: EmbeddedChannel, status: HTTPResponseStatus) {
        let head = HTTPResponseHead(version: .http1_1, status: status, headers: ["Content-Length": "0"])
        channel.write(HTTPServerResponsePart.head(head), promise: nil)
        channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil)
    }

    private static func written(_ channel: EmbeddedChannel) throws -> String {
        var text = ""
        while let buffer = try channel.readOutbound(as: IOData.self) {
            if case .byteBuffer(let bytes) = buffer { text += String(buffer: bytes) }
        }
        return text
    }

    private static func responseCount(_ text: String) -> Int {
        text.components(separatedBy: "HTTP/1.1 ").count - 1
    }

    @Test("a broken body gets a 400, and the application's later answer is dropped")
    func brokenBodyBeforeTheApplicationAnswers() throws {
        let channel = try Self.channel()
        try channel.writeInbound(
            ByteBuffer(string: "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"))
        guard case .head = try #require(try channel.readInbound(as: HTTPServerRequestPart.self)) else {
            Issue.record("the request head was not handed on")
            return
        }
        Self.respond(channel, status: .internalServerError)
        let text = try Self.written(channel)
        #expect(text.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), "\(text)")
        #expect(Self.responseCount(text) == 1, "\(text)")
        #expect(!channel.isActive)
        _ = try? channel.finish()
    }

    @Test("a request the application already answered gets no second response")
    func brokenBodyAfterTheApplicationAnswered() throws {
        let channel = try Self.channel()
        try channel.writeInbound(
            ByteBuffer(string: "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"))
        Self.respond(channel, status: .payloadTooLarge)
        try channel.writeInbound(ByteBuffer(string: "zz\r\n"))
        let text = try Self.written(channel)
        #expect(text.hasPrefix("HTTP/1.1 413 Payload Too Large\r\n"), "\(text)")
        #expect(Self.responseCount(text) == 1, "\(text)")
        #expect(!channel.isActive)
        _ = try? channel.finish()
    }

    @Test("a response on its way is not interleaved with an error answer")
    func brokenBodyWhileTheApplicationAnswers() throws {
        let channel = try Self.channel()
        try channel.writeInbound(
            ByteBuffer(string: "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"))
        let head = HTTPResponseHead(version: .http1_1, status: .ok, headers: ["Transfer-Encoding": "chunked"])
        channel.writeAndFlush(HTTPServerResponsePart.head(head), promise: nil)
        try channel.writeInbound(ByteBuffer(string: "zz\r\n"))
        let text = try Self.written(channel)
        #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(text)")
        #expect(Self.responseCount(text) == 1, "\(text)")
        _ = try? channel.finish()
    }

    @Test("a request answered early and then completed leaves the next request's 400 to this handler")
    func garbageAfterAnEarlyAnswer() throws {
        let channel = try Self.channel()
        try channel.writeInbound(
            ByteBuffer(string: "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"))
        Self.respond(channel, status: .payloadTooLarge)
        try channel.writeInbound(ByteBuffer(string: "0\r\n\r\nNOT HTTP AT ALL\r\n\r\n"))
        let text = try Self.written(channel)
        #expect(text.hasPrefix("HTTP/1.1 413 Payload Too Large\r\n"), "\(text)")
        #expect(text.contains("HTTP/1.1 400 Bad Request\r\n"), "\(text)")
        #expect(Self.responseCount(text) == 2, "\(text)")
        _ = try? channel.finish()
    }

    @Test("a body that breaks after 100 Continue still gets a 400")
    func brokenBodyAfterContinue() throws {
        let channel = try Self.channel()
        try channel.writeInbound(
            ByteBuffer(
                string:
                    "POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n"
            ))
        channel.writeAndFlush(
            HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .continue)), promise: nil)
        try channel.writeInbound(ByteBuffer(string: "zz\r\n"))
        let text = try Self.written(channel)
        #expect(text.hasPrefix("HTTP/1.1 100 Continue\r\n"), "\(text)")
        #expect(text.contains("HTTP/1.1 400 Bad Request\r\n"), "\(text)")
        _ = try? channel.finish()
    }

    @Test("garbage between requests gets a 400")
    func garbageBetweenRequests() throws {
        let channel = try Self.channel()
        try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
        Self.respond(channel, status: .ok)
        try channel.writeInbound(ByteBuffer(string: "NOT HTTP AT ALL\r\n\r\n"))
        let text = try Self.written(channel)
        #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(text)")
        #expect(text.contains("HTTP/1.1 400 Bad Request\r\n"), "\(text)")
        #expect(Self.responseCount(text) == 2, "\(text)")
        _ = try? channel.finish()
    }
}
