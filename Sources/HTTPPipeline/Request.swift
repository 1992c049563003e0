public import HTTPTypes
import RequestTargetSyntax

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

    /// The raw path, without the query: the target up to its first `?`, which is how MAuth
    /// splits it too.
    public var path: Substring { RequestTargetParts(Substring(target)).path }

    /// The raw query, without the `?`; empty when there is none.
    public var query: Substring { RequestTargetParts(Substring(target)).query }
}
