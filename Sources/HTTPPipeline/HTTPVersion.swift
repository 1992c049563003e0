/// The HTTP version a request arrived with.
public struct HTTPVersion: Sendable, Hashable, CustomStringConvertible {
    /// `HTTP/1.1` (or `HTTP/1.0`).
    public static let http1 = HTTPVersion(description: "HTTP/1.1")
    /// `HTTP/2`.
    public static let http2 = HTTPVersion(description: "HTTP/2")

    public let description: String
}
