public import NIOCore

/// Receives the parts of a streamed ``ResponseBody``.
public protocol ResponseBodyWriter: Sendable {
    /// Sends one part of the body.
    func write(_ buffer: ByteBuffer) async throws
}
