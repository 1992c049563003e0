import HTTPTypes
import NIOCore
import NIOHPACK
import NIOHTTP2
import NIOHTTPTypes

/// The HTTP/2 frames of response parts written together: the end of the stream rides on the last
/// HEADERS or DATA frame instead of costing a frame of its own.
///
/// A response in memory is two frames, HEADERS and DATA with END_STREAM, and a response without a
/// body is one HEADERS frame with END_STREAM; SwiftNIO's codec sends an empty DATA frame after
/// them.
enum HTTP2ResponseFrames {
    /// The frames of `parts`, in order.
    static func frames(of parts: [HTTPResponsePart]) -> [HTTP2Frame.FramePayload] {
        var frames: [HTTP2Frame.FramePayload] = []
        frames.reserveCapacity(parts.count)
        // Whether the last frame may carry END_STREAM: a final response's HEADERS or any DATA.
        var lastCanEnd = false
        for part in parts {
            switch part {
            case .head(let response):
                frames.append(.headers(.init(headers: HPACKHeaders(response))))
                lastCanEnd = response.status.kind != .informational
            case .body(let buffer):
                frames.append(.data(.init(data: .byteBuffer(buffer))))
                lastCanEnd = true
            case .end(let trailers?):
                frames.append(.headers(.init(headers: HPACKHeaders(trailers), endStream: true)))
            case .end(nil) where lastCanEnd:
                switch frames[frames.count - 1] {
                case .headers(var headers):
                    headers.endStream = true
                    frames[frames.count - 1] = .headers(headers)
                case .data(var data):
                    data.endStream = true
                    frames[frames.count - 1] = .data(data)
                default:
                    break
                }
            case .end(nil):
                // Nothing written with the end can carry it, or only an interim response.
                frames.append(.data(.init(data: .byteBuffer(ByteBuffer()), endStream: true)))
            }
        }
        return frames
    }
}

extension HPACKHeaders {
    /// A response head as HTTP/2 sends it: `:status`, then the fields, lower-cased.
    fileprivate init(_ response: HTTPResponse) {
        self.init()
        reserveCapacity(response.headerFields.count + 1)
        append(response.pseudoHeaderFields.status)
        for field in response.headerFields { append(field) }
    }

    /// Trailer fields.
    fileprivate init(_ trailers: HTTPFields) {
        self.init()
        reserveCapacity(trailers.count)
        for field in trailers { append(field) }
    }

    private mutating func append(_ field: HTTPField) {
        let indexing: HPACKIndexing =
            switch field.indexingStrategy {
            case .avoid: .nonIndexable
            case .disallow: .neverIndexed
            default: .indexable
            }
        add(name: field.name.canonicalName, value: field.value, indexing: indexing)
    }
}
