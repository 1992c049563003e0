/// The HTTP version a request arrived with.
public struct HTTPProtocolVersion: Sendable, Hashable, CustomStringConvertible {
    /// `HTTP/1.1` (or `HTTP/1.0`).
    public static let http1 = HTTPProtocolVersion(description: "HTTP/1.1")
    /// `HTTP/2`.
    public static let http2 = HTTPProtocolVersion(description: "HTTP/2")

    public let description: String
}
