public import NIOCore

/// The body of a ``Request``: bytes already in memory, or a stream of buffers read from the
/// connection as the handler asks for them.
///
/// A streamed body can be read once. A middleware that needs the whole body collects it with
/// ``collect(upTo:)`` and passes on a request whose body is the collected buffer, so that the
/// handler can still read it.
public struct RequestBody: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer

    enum Storage: Sendable {
        case buffer(ByteBuffer)
        case stream(any RequestBodySource)
    }

    let storage: Storage

    /// A body with no bytes.
    public static let empty = RequestBody(buffer: ByteBuffer())

    /// A body held in memory.
    public init(buffer: ByteBuffer) {
        self.storage = .buffer(buffer)
    }

    /// A body streamed from `source`.
    public init(source: any RequestBodySource) {
        self.storage = .stream(source)
    }

    /// The body's bytes when they are already in memory.
    public var buffer: ByteBuffer? {
        if case .buffer(let buffer) = storage { return buffer }
        return nil
    }

    /// Reads the whole body into one buffer.
    ///
    /// Reading stops as soon as the body is known to exceed `maxSize`: nothing past the limit is
    /// read.
    /// - Throws: ``HTTPError`` 413 (Content Too Large) when the body is larger than `maxSize`.
    public func collect(upTo maxSize: Int) async throws -> ByteBuffer {
        switch storage {
        case .buffer(let buffer):
            guard buffer.readableBytes <= maxSize else { throw HTTPError.contentTooLarge(limit: maxSize) }
            return buffer
        case .stream(let source):
            var collected = ByteBuffer()
            while let part = try await source.nextBuffer() {
                guard collected.readableBytes + part.readableBytes <= maxSize else {
                    throw HTTPError.contentTooLarge(limit: maxSize)
                }
                collected.writeImmutableBuffer(part)
            }
            return collected
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        switch storage {
        case .buffer(let buffer): AsyncIterator(buffer: buffer.readableBytes > 0 ? buffer : nil, source: nil)
        case .stream(let source): AsyncIterator(buffer: nil, source: source)
        }
    }

    /// Yields the body's buffers in order.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var buffer: ByteBuffer?
        let source: (any RequestBodySource)?

        public mutating func next() async throws -> ByteBuffer? {
            if let buffer {
                self.buffer = nil
                return buffer
            }
            return try await source?.nextBuffer()
        }
    }
}
