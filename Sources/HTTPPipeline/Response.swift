public import HTTPTypes
import NIOCore

/// An HTTP response: the head and a body of bytes or a stream.
public struct Response: Sendable {
    /// Status and header fields.
    public var head: HTTPResponse
    /// The body.
    public var body: ResponseBody

    /// Creates a response.
    public init(head: HTTPResponse, body: ResponseBody = .empty) {
        self.head = head
        self.body = body
    }

    /// Creates a response with `status`, header fields and body.
    public init(status: HTTPResponse.Status, headerFields: HTTPFields = [:], body: ResponseBody = .empty) {
        self.init(head: HTTPResponse(status: status, headerFields: headerFields), body: body)
    }

    /// A response whose body is `text` as `text/plain; charset=utf-8`.
    public static func text(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headerFields: [.contentType: "text/plain; charset=utf-8"],
            body: ResponseBody(buffer: ByteBuffer(string: text))
        )
    }

    /// A response whose body is the JSON text `json`, as `application/json`.
    public static func json(_ json: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headerFields: [.contentType: "application/json"],
            body: ResponseBody(buffer: ByteBuffer(string: json))
        )
    }

    /// A response whose body is `document`, written as compact JSON text, as `application/json`.
    public static func json(_ document: JSON, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headerFields: [.contentType: "application/json"],
            body: ResponseBody(buffer: document.utf8)
        )
    }
}
