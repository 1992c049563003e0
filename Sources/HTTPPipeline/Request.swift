public import HTTPTypes

/// An HTTP request as it travels through a pipeline: the head and a body that can be streamed.
///
/// `head.path` is the request target exactly as it arrived on the wire (path and query, still
/// percent-encoded): signatures such as MAuth's cover the encoded form.
public struct Request: Sendable {
    /// Method, target, and header fields.
    public var head: HTTPRequest
    /// The body; read it once, as a stream or with ``RequestBody/collect(upTo:)``.
    public var body: RequestBody

    /// Creates a request.
    public init(head: HTTPRequest, body: RequestBody = .empty) {
        self.head = head
        self.body = body
    }

    /// The raw request target: path and query as received.
    public var target: String { head.path ?? "/" }

    /// The raw path, without the query.
    public var path: Substring {
        let target = self.target
        return target.firstIndex(of: "?").map { target[..<$0] } ?? target[...]
    }

    /// The raw query, without the `?`; empty when there is none.
    public var query: Substring {
        let target = self.target
        return target.firstIndex(of: "?").map { target[target.index(after: $0)...] } ?? ""
    }
}
