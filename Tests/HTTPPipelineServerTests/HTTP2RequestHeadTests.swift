import HTTPTypes
import NIOEmbedded
import NIOHPACK
import NIOHTTP2
import NIOHTTPTypes
import NIOHTTPTypesHTTP2
import Testing

@testable import HTTPPipelineServer

/// `HTTP2RequestHead` replaces the conversion inside SwiftNIO's `HTTP2FramePayloadToHTTPServerCodec`,
/// so it must accept, refuse and convert header blocks exactly as that codec does. The codec's
/// conversion is not public, hence the codec itself, in an `EmbeddedChannel`, is the reference.
@Suite("HTTP/2 header blocks as swift-http-types")
struct HTTP2RequestHeadTests {
    static let requestBlocks: [HPACKHeaders] = [
        HPACKHeaders([(":method", "GET"), (":scheme", "https"), (":authority", "example.com"), (":path", "/")]),
        // A request may name its authority in `host` instead; neither conversion moves it to :authority.
        HPACKHeaders([(":method", "GET"), (":scheme", "http"), (":path", "/a/b?c=d&e"), ("host", "example.com")]),
        HPACKHeaders([
            (":method", "POST"), (":scheme", "https"), (":authority", "example.com:8443"),
            (":path", "/with%20space?q=%2F&r=%C3%BC"), ("content-type", "application/json"), ("content-length", "2"),
        ]),
        HPACKHeaders([
            (":method", "GET"), (":scheme", "https"), (":authority", "example.com"), (":path", "/"),
            ("cookie", "a=1"), ("x-a", "1"), ("cookie", "b=2"), ("x-a", "2"),
        ]),
        HPACKHeaders([
            (":method", "CONNECT"), (":protocol", "websocket"), (":scheme", "https"),
            (":authority", "chat.example"), (":path", "/socket?room=1"), ("sec-websocket-version", "13"),
        ]),
        HPACKHeaders([(":method", "CONNECT"), (":authority", "example.com:443")]),
        HPACKHeaders([(":path", "*"), (":authority", "example.com"), (":method", "OPTIONS"), (":scheme", "https")]),
        // NIOHTTP2 refuses a block without :scheme and :path before either conversion sees it; what
        // matters here is only that both conversions agree on it.
        HPACKHeaders([(":method", "GET")]),
        // Both drop a field whose name swift-http-types cannot hold rather than refuse the request.
        HPACKHeaders([(":method", "GET"), (":scheme", "https"), (":path", "/"), ("bad name", "dropped"), ("x-a", "1")]),
        {
            // The NIO codec carries the indexing over and ours does not, which must not change the fields.
            var block = HPACKHeaders([(":method", "GET"), (":scheme", "https"), (":path", "/private")])
            block.add(name: "authorization", value: "MWS abc:sig", indexing: .neverIndexed)
            block.add(name: "x-trace", value: "t", indexing: .nonIndexable)
            return block
        }(),
    ]

    static let malformedRequestBlocks: [HPACKHeaders] = [
        HPACKHeaders(),
        HPACKHeaders([(":scheme", "https"), (":authority", "example.com"), (":path", "/")]),
        HPACKHeaders([(":method", "GET"), (":method", "POST"), (":scheme", "https"), (":path", "/")]),
        HPACKHeaders([(":method", "GET"), (":foo", "bar"), (":scheme", "https"), (":path", "/")]),
        HPACKHeaders([(":method", "GET"), (":scheme", "https"), ("x-a", "1"), (":path", "/")]),
        HPACKHeaders([(":method", "BAD METHOD"), (":scheme", "https"), (":path", "/")]),
    ]

    static let trailerBlocks: [HPACKHeaders] = [
        HPACKHeaders(),
        HPACKHeaders([("x-checksum", "sha256=abc")]),
        HPACKHeaders([("x-a", "1"), ("server-timing", "db;dur=53"), ("x-a", "2"), ("bad name", "dropped")]),
        {
            var block = HPACKHeaders([("x-checksum", "sha256=abc")])
            block.add(name: "x-secret", value: "s", indexing: .neverIndexed)
            return block
        }(),
    ]

    static let uploadHead = HPACKHeaders([
        (":method", "POST"), (":scheme", "https"), (":authority", "example.com"), (":path", "/upload"),
    ])

    /// What the NIO codec passes on for `frames` arriving in order on one stream; throws what it fires.
    static func partsFromNIO(_ frames: HTTP2Frame.FramePayload...) throws -> [HTTPRequestPart] {
        let channel = EmbeddedChannel(handler: HTTP2FramePayloadToHTTPServerCodec())
        for frame in frames {
            try channel.writeInbound(frame)
        }
        var parts: [HTTPRequestPart] = []
        while let part = try channel.readInbound(as: HTTPRequestPart.self) {
            parts.append(part)
        }
        return parts
    }

    /// `fields` without their indexing strategies, which `HTTPField`'s `==` compares but ours does
    /// not keep.
    static func namesAndValues(_ fields: HTTPFields) -> [[String]] {
        fields.map { [$0.name.canonicalName, $0.value] }
    }

    @Test("a request head converts exactly as NIOHTTPTypesHTTP2 converts it", arguments: requestBlocks)
    func sameAsNIO(block: HPACKHeaders) throws {
        let parts = try Self.partsFromNIO(.headers(.init(headers: block)))
        guard parts.count == 1, case .head(let expected) = parts[0] else {
            Issue.record("NIO passed on \(parts), not one request head")
            return
        }
        let request = try HTTP2RequestHead.request(block)
        #expect(request.method == expected.method)
        #expect(request.scheme == expected.scheme)
        #expect(request.authority == expected.authority)
        #expect(request.path == expected.path)
        #expect(request.extendedConnectProtocol == expected.extendedConnectProtocol)
        #expect(Self.namesAndValues(request.headerFields) == Self.namesAndValues(expected.headerFields))
    }

    @Test("a block NIOHTTPTypesHTTP2 refuses as a request head is refused by ours", arguments: malformedRequestBlocks)
    func malformedRefusedByBoth(block: HPACKHeaders) {
        #expect(throws: (any Error).self) {
            try Self.partsFromNIO(.headers(.init(headers: block)))
        }
        #expect(throws: HTTP2RequestHead.Malformed.self) {
            try HTTP2RequestHead.request(block)
        }
    }

    @Test("trailers convert exactly as NIOHTTPTypesHTTP2 converts a second HEADERS frame", arguments: trailerBlocks)
    func trailersSameAsNIO(block: HPACKHeaders) throws {
        let parts = try Self.partsFromNIO(
            .headers(.init(headers: Self.uploadHead)),
            .headers(.init(headers: block, endStream: true))
        )
        guard parts.count == 2, case .end(let expected?) = parts[1] else {
            Issue.record("NIO passed on \(parts), not a request head and then trailers")
            return
        }
        let trailers = try HTTP2RequestHead.trailers(block)
        #expect(Self.namesAndValues(trailers) == Self.namesAndValues(expected))
    }

    @Test("a pseudo-header field in trailers is refused by both")
    func pseudoFieldInTrailers() {
        let trailers = HPACKHeaders([("x-checksum", "sha256=abc"), (":path", "/other")])
        #expect(throws: (any Error).self) {
            try Self.partsFromNIO(
                .headers(.init(headers: Self.uploadHead)),
                .headers(.init(headers: trailers, endStream: true))
            )
        }
        #expect(throws: HTTP2RequestHead.Malformed.self) {
            try HTTP2RequestHead.trailers(trailers)
        }
    }
}
