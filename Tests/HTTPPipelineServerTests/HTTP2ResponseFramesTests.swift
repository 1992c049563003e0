import HTTPTypes
import NIOCore
import NIOHPACK
import NIOHTTP2
import NIOHTTPTypes
import Testing

@testable import HTTPPipelineServer

/// The frames an HTTP/2 stream's response parts become.
@Suite("HTTP/2 response frames")
struct HTTP2ResponseFramesTests {
    /// A frame as `kind [END_STREAM]`, with the status or the body's length.
    private static func describe(_ frames: [HTTP2Frame.FramePayload]) -> [String] {
        frames.map { frame in
            switch frame {
            case .headers(let headers):
                let status = headers.headers.first(name: ":status").map { " \($0)" } ?? " trailers"
                return "HEADERS\(status)\(headers.endStream ? " END_STREAM" : "")"
            case .data(let data):
                return "DATA \(data.data.readableBytes)\(data.endStream ? " END_STREAM" : "")"
            default:
                return "other"
            }
        }
    }

    private static let ok = HTTPResponse(status: .ok, headerFields: [.contentType: "text/plain"])

    @Test(
        "the end of the stream rides on the last frame it can",
        arguments: [
            ([.head(ok), .body(ByteBuffer(string: "hi")), .end(nil)], ["HEADERS 200", "DATA 2 END_STREAM"]),
            ([.head(ok), .end(nil)], ["HEADERS 200 END_STREAM"]),
            ([.head(ok)], ["HEADERS 200"]),
            ([.body(ByteBuffer(string: "abc"))], ["DATA 3"]),
            ([.end(nil)], ["DATA 0 END_STREAM"]),
            ([.head(HTTPResponse(status: .continue))], ["HEADERS 100"]),
            ([.head(HTTPResponse(status: .continue)), .end(nil)], ["HEADERS 100", "DATA 0 END_STREAM"]),
            (
                [.head(ok), .body(ByteBuffer(string: "hi")), .end([.init("checksum")!: "1"])],
                ["HEADERS 200", "DATA 2", "HEADERS trailers END_STREAM"]
            ),
        ] as [([HTTPResponsePart], [String])])
    func endOfStream(parts: [HTTPResponsePart], frames: [String]) {
        #expect(Self.describe(HTTP2ResponseFrames.frames(of: parts)) == frames)
    }

    @Test("a head's fields go out lower-cased after :status, with their indexing")
    func headFields() throws {
        var head = HTTPResponse(status: .notFound)
        head.headerFields[.contentType] = "application/json"
        var cookie = HTTPField(name: .setCookie, value: "a=1")
        cookie.indexingStrategy = .disallow
        head.headerFields.append(cookie)
        let frames = HTTP2ResponseFrames.frames(of: [.head(head)])
        guard case .headers(let headers) = try #require(frames.first) else {
            Issue.record("expected HEADERS, got \(frames)")
            return
        }
        #expect(headers.headers.map(\.name) == [":status", "content-type", "set-cookie"])
        #expect(headers.headers.map(\.value) == ["404", "application/json", "a=1"])
        #expect(headers.headers.map(\.indexable) == [.indexable, .indexable, .neverIndexed])
    }
}
