import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import Testing

@testable import HTTPPipelineServer

@Suite("HTTP/1.1 parts as swift-http-types")
struct HTTP1ToHTTPTypesCodecTests {
    static let targets = [
        "/", "/a/b?c=d&e", "//evil.example/path", "/with%20space?q=%2F", "/ü?ö", "/a b", "/?", "/#fragment",
        "http://example.com/x?y=1", "http://example.com", "https://user@example.com:8443/p", "*", "example.com:443",
    ]

    static let headerSets: [HTTPHeaders] = [
        [:],
        ["Host": "example.com"],
        ["host": "a.example", "HOST": "b.example", "Cookie": "a=1; b=2", "X-Custom": "value"],
        ["Content-Length": "3", "Host": "example.com:8080", "Accept": "*/*"],
    ]

    @Test("a request head converts exactly as NIOHTTPTypesHTTP1 converts it", arguments: targets)
    func sameAsNIO(target: String) throws {
        for headers in Self.headerSets {
            for method in [HTTPMethod.GET, .POST, .CONNECT, .OPTIONS] {
                let head = HTTPRequestHead(version: .http1_1, method: method, uri: target, headers: headers)
                for secure in [false, true] {
                    let expected = try HTTPRequest(head, secure: secure, splitCookie: false)
                    #expect(try HTTP1ToHTTPTypesCodec.request(head, secure: secure) == expected)
                }
            }
        }
    }

    @Test("a method swift-http-types refuses fails the same way, as an error down the pipeline")
    func invalidMethod() throws {
        let head = HTTPRequestHead(version: .http1_1, method: .RAW(value: "BAD METHOD"), uri: "/", headers: [:])
        #expect(throws: HTTP1TypeConversionError.invalidMethod) {
            try HTTP1ToHTTPTypesCodec.request(head, secure: false)
        }
        let channel = EmbeddedChannel(handler: HTTP1ToHTTPTypesCodec(secure: false))
        #expect(throws: HTTP1TypeConversionError.invalidMethod) {
            try channel.writeInbound(HTTPServerRequestPart.head(head))
        }
    }

    @Test("parts pass through both ways")
    func parts() throws {
        let channel = EmbeddedChannel(handler: HTTP1ToHTTPTypesCodec(secure: true))
        let head = HTTPRequestHead(version: .http1_1, method: .PUT, uri: "/items/1?x", headers: ["Host": "h"])
        try channel.writeInbound(HTTPServerRequestPart.head(head))
        try channel.writeInbound(HTTPServerRequestPart.body(ByteBuffer(string: "abc")))
        try channel.writeInbound(HTTPServerRequestPart.end(["Trailer-Field": "t"]))
        let request = try #require(try channel.readInbound(as: HTTPRequestPart.self))
        #expect(request == .head(HTTPRequest(method: .put, scheme: "https", authority: "h", path: "/items/1?x")))
        #expect(try channel.readInbound(as: HTTPRequestPart.self) == .body(ByteBuffer(string: "abc")))
        #expect(try channel.readInbound(as: HTTPRequestPart.self) == .end([HTTPField.Name("Trailer-Field")!: "t"]))

        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .accepted, headerFields: [.server: "s"])))
        try channel.writeOutbound(HTTPResponsePart.body(ByteBuffer(string: "ok")))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        let responseHead = try #require(try channel.readOutbound(as: HTTPServerResponsePart.self))
        #expect(responseHead == .head(HTTPResponseHead(version: .http1_1, status: .accepted, headers: ["Server": "s"])))
        #expect(
            try channel.readOutbound(as: HTTPServerResponsePart.self) == .body(.byteBuffer(ByteBuffer(string: "ok"))))
        #expect(try channel.readOutbound(as: HTTPServerResponsePart.self) == .end(nil))
    }
}
