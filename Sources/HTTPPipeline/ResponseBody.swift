public import NIOCore

/// The body of a ``Response``: bytes in memory, or a function that writes the body in parts.
public struct ResponseBody: Sendable {
    enum Storage: Sendable {
        case buffer(ByteBuffer)
        case stream(@Sendable (any ResponseBodyWriter) async throws -> Void)
    }

    let storage: Storage

    /// A body with no bytes.
    public static let empty = ResponseBody(buffer: ByteBuffer())

    /// A body held in memory; servers send it with a `Content-Length`.
    public init(buffer: ByteBuffer) {
        self.storage = .buffer(buffer)
    }

    /// A body written in parts by `write`; servers send it chunked (HTTP/1.1) or in DATA frames
    /// (HTTP/2).
    public init(write: @escaping @Sendable (any ResponseBodyWriter) async throws -> Void) {
        self.storage = .stream(write)
    }

    /// The body's bytes when they are already in memory.
    public var buffer: ByteBuffer? {
        if case .buffer(let buffer) = storage { return buffer }
        return nil
    }

    /// Writes the body to `writer`.
    public func write(to writer: any ResponseBodyWriter) async throws {
        switch storage {
        case .buffer(let buffer):
            if buffer.readableBytes > 0 { try await writer.write(buffer) }
        case .stream(let write):
            try await write(writer)
        }
    }

    /// The whole body in one buffer, for middlewares and tests that must see every byte.
    ///
    /// Writing stops as soon as the body is known to exceed `maxSize`.
    /// - Throws: ``HTTPError`` 413 (Content Too Large) when the body is larger than `maxSize`, or
    ///   what writing the body throws.
    public func collect(upTo maxSize: Int) async throws -> ByteBuffer {
        if let buffer {
            guard buffer.readableBytes <= maxSize else { throw HTTPError.contentTooLarge(limit: maxSize) }
            return buffer
        }
        let collector = CollectingWriter(limit: maxSize)
        try await write(to: collector)
        return collector.collected
    }
}
