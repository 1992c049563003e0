public import NIOCore

/// Where a streamed ``RequestBody`` reads from; servers implement it over their connections.
public protocol RequestBodySource: Sendable {
    /// The next part of the body, or `nil` at its end.
    func nextBuffer() async throws -> ByteBuffer?
}
