import NIOCore
import NIOHTTPTypes

/// Where the request parts of one HTTP/1.1 connection or one HTTP/2 stream come from, in order.
///
/// Only the task serving the connection or stream reads from a source.
protocol RequestPartSource: AnyObject {
    /// The next part, or `nil` once the peer has ended.
    func next() async throws -> HTTPRequestPart?
}
