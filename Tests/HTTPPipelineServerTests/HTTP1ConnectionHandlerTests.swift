import Foundation
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import HTTPPipelineServer

/// An HTTP/1.1 connection's rules (`HTTP1ConnectionHandler` and its state machine) on an in-memory
/// channel, with NIO's parser and encoder: the orderings here are races on a real socket.
@Suite("HTTP/1.1 connection rules")
struct HTTP1ConnectionHandlerTests {
    private static func channel() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        var configuration = HTTPServerConfiguration(port: 0)
        configuration.maxPipelinedRequests = 16
        configuration.requestHeadTimeout = .seconds(10)
        try HTTPServer.configureHTTP1Rules(channel, configuration: configuration)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    private static func respond(
        _ channel: EmbeddedChannel, status: HTTPResponseStatus, headers: HTTPHeaders = ["Content-Length": "0"]
    ) {
        let head = HTTPResponseHead(version: .http1_1, status: status, headers: headers)
        channel.write(HTTPServerResponsePart.head(head), promise: nil)
        channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil)
    }

    /// The request parts handed on to the application.
    private static func handedOn(_ channel: EmbeddedChannel) throws -> [HTTPServerRequestPart] {
        var parts: [HTTPServerRequestPart] = []
        while let part = try channel.readInbound(as: HTTPServerRequestPart.self) { parts.append(part) }
        return parts
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

    @Test("a head that passes the size limit is answered 431 as the parser reads it, before it ends")
    func headTooLargeBeforeItEnds() throws {
        let channel = try Self.channel()
        let limit = HTTPServerConfiguration(port: 0).maxHeaderSize
        try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: x\r\nX-Large: "))
        #expect(try Self.written(channel).isEmpty)
        _ = try? channel.writeInbound(ByteBuffer(string: String(repeating: "a", count: limit)))
        let text = try Self.written(channel)
        #expect(text.hasPrefix("HTTP/1.1 431 Request Header Fields Too Large\r\n"), "\(text)")
        #expect(try Self.handedOn(channel).isEmpty)
        #expect(!channel.isActive)
        _ = try? channel.finish()
    }

    @Test("a head just within the size limit, target and fields counted, is handed on")
    func headWithinTheLimit() throws {
        let channel = try Self.channel()
        let limit = HTTPServerConfiguration(port: 0).maxHeaderSize
        let filler = String(repeating: "a", count: limit - "/".count - "Host".count - "x".count - "X-Large".count)
        try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: x\r\nX-Large: \(filler)\r\n\r\n"))
        #expect(try Self.handedOn(channel).count == 2)
        #expect(try Self.written(channel).isEmpty)
        _ = try? channel.finish()
    }

    @Test("HTTP/1.1 keeps the connection open from request to request")
    func keepAlive() throws {
        let channel = try Self.channel()
        for _ in 0..<2 {
            try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
            Self.respond(channel, status: .ok)
        }
        let text = try Self.written(channel)
        #expect(Self.responseCount(text) == 2)
        #expect(!text.lowercased().contains("connection: close"))
        #expect(channel.isActive)
        _ = try? channel.finish()
    }

    @Test("'Connection: close' from the client, or from the response, ends the connection after the response")
    func close() throws {
        for (request, responseHeaders) in [
            ("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", ["Content-Length": "0"]),
            ("GET / HTTP/1.1\r\nHost: x\r\n\r\n", ["Content-Length": "0", "Connection": "close"]),
        ] as [(String, HTTPHeaders)] {
            let channel = try Self.channel()
            try channel.writeInbound(ByteBuffer(string: request))
            #expect(channel.isActive)
            Self.respond(channel, status: .ok, headers: responseHeaders)
            let text = try Self.written(channel)
            #expect(text.lowercased().contains("connection: close"), "\(text)")
            #expect(!channel.isActive)
            _ = try? channel.finish()
        }
    }

    @Test(
        "HTTP/1.0: closed unless the client asks for keep-alive, and a response without a length goes out as HTTP/1.0"
    )
    func http10() throws {
        let closing = try Self.channel()
        try closing.writeInbound(ByteBuffer(string: "GET / HTTP/1.0\r\n\r\n"))
        Self.respond(closing, status: .ok)
        #expect(try Self.written(closing).lowercased().contains("connection: close"))
        #expect(!closing.isActive)

        let kept = try Self.channel()
        try kept.writeInbound(ByteBuffer(string: "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"))
        Self.respond(kept, status: .ok)
        #expect(try Self.written(kept).lowercased().contains("connection: keep-alive"))
        #expect(kept.isActive)

        try kept.writeInbound(ByteBuffer(string: "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"))
        kept.write(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok)), promise: nil)
        kept.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: "streamed"))), promise: nil)
        kept.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil)
        let streamed = try Self.written(kept)
        #expect(streamed.hasPrefix("HTTP/1.0 200 OK\r\n"), "\(streamed)")
        #expect(!streamed.lowercased().contains("chunked"))
        #expect(streamed.hasSuffix("\r\n\r\nstreamed"), "\(streamed)")
        #expect(!kept.isActive)
        _ = try? closing.finish()
        _ = try? kept.finish()
    }

    @Test("an HTTP/1.0 request's 100-continue expectation is not handed on; an HTTP/1.1 one is")
    func expectContinue() throws {
        for (version, handedOn) in [("1.0", false), ("1.1", true)] {
            let channel = try Self.channel()
            try channel.writeInbound(
                ByteBuffer(
                    string:
                        "POST /echo HTTP/\(version)\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n"))
            guard case .head(let head) = try #require(try Self.handedOn(channel).first) else {
                Issue.record("no head")
                continue
            }
            #expect(head.headers.contains(name: "expect") == handedOn, "HTTP/\(version)")
            _ = try? channel.finish()
        }
    }

    @Test("a response that closes before its request has ended waits for the request's end, then closes")
    func drain() throws {
        let channel = try Self.channel()
        try channel.writeInbound(ByteBuffer(string: "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12"))
        Self.respond(channel, status: .payloadTooLarge, headers: ["Content-Length": "0", "Connection": "close"])
        #expect(channel.isActive, "the rest of the body is still to come")
        try channel.writeInbound(ByteBuffer(string: "34567890"))
        #expect(!channel.isActive)
        _ = try? channel.finish()
    }

    @Test("a pipelined request after the last response is dropped")
    func afterTheLastResponse() throws {
        let channel = try Self.channel()
        try channel.writeInbound(ByteBuffer(string: "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n"))
        Self.respond(channel, status: .payloadTooLarge, headers: ["Content-Length": "0", "Connection": "close"])
        _ = try Self.handedOn(channel)
        try channel.writeInbound(ByteBuffer(string: "xGET /next HTTP/1.1\r\nHost: x\r\n\r\n"))
        let parts = try Self.handedOn(channel)
        #expect(!parts.contains { if case .head = $0 { true } else { false } }, "\(parts)")
        #expect(!channel.isActive)
        _ = try? channel.finish()
    }

    @Test("asked to close: at once when idle, after the response in progress otherwise")
    func quiesce() throws {
        let idle = try Self.channel()
        idle.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(!idle.isActive)

        let busy = try Self.channel()
        try busy.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
        busy.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(busy.isActive)
        Self.respond(busy, status: .ok)
        #expect(try Self.written(busy).lowercased().contains("connection: close"))
        #expect(!busy.isActive)
        _ = try? idle.finish()
        _ = try? busy.finish()
    }

    @Test("no Host on HTTP/1.1, or two, answers 400 and closes; HTTP/1.0 needs none")
    func host() throws {
        for request in ["GET / HTTP/1.1\r\n\r\n", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"] {
            let channel = try Self.channel()
            try channel.writeInbound(ByteBuffer(string: request))
            #expect(try Self.handedOn(channel).isEmpty)
            #expect(try Self.written(channel).hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
            #expect(!channel.isActive)
            _ = try? channel.finish()
        }
        let http10 = try Self.channel()
        try http10.writeInbound(ByteBuffer(string: "GET / HTTP/1.0\r\n\r\n"))
        #expect(try Self.handedOn(http10).count == 2)
        _ = try? http10.finish()
    }

    @Test("pipelined requests are handed on one at a time, each after the previous response has ended")
    func pipelining() throws {
        let channel = try Self.channel()
        try channel.writeInbound(
            ByteBuffer(string: "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n"))
        let first = try Self.handedOn(channel)
        #expect(first.count == 2, "only the first request: \(first)")
        Self.respond(channel, status: .ok)
        let second = try Self.handedOn(channel)
        guard case .head(let head) = try #require(second.first) else {
            Issue.record("the second request was not handed on")
            return
        }
        #expect(head.uri == "/2")
        #expect(channel.isActive)
        _ = try? channel.finish()
    }

    @Test("a parse error after a request still owed its response is answered after that response")
    func parseErrorWaitsItsTurn() throws {
        let channel = try Self.channel()
        try channel.writeInbound(ByteBuffer(string: "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nNOT HTTP AT ALL\r\n\r\n"))
        #expect(try Self.handedOn(channel).count == 2)
        #expect(try Self.written(channel).isEmpty)
        Self.respond(channel, status: .ok)
        let text = try Self.written(channel)
        #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(text)")
        #expect(text.contains("HTTP/1.1 400 Bad Request\r\n"), "\(text)")
        #expect(!channel.isActive)
        _ = try? channel.finish()
    }

    @Test("asked to close while a request answered early is still being read: its end closes")
    func quiesceAfterAnEarlyAnswer() throws {
        let channel = try Self.channel()
        try channel.writeInbound(ByteBuffer(string: "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12"))
        Self.respond(channel, status: .unauthorized)
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(channel.isActive)
        try channel.writeInbound(ByteBuffer(string: "34567890"))
        #expect(!channel.isActive)
        _ = try? channel.finish()
    }

    @Test("HTTP/1.0 keep-alive survives a response without a body and without a length")
    func http10WithoutBody() throws {
        let channel = try Self.channel()
        try channel.writeInbound(ByteBuffer(string: "HEAD / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"))
        channel.write(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok)), promise: nil)
        channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil)
        #expect(try Self.written(channel).lowercased().contains("connection: keep-alive"))
        #expect(channel.isActive)
        _ = try? channel.finish()
    }
}
