import Locking
import NIOCore

/// A ``ResponseBodyWriter`` that keeps everything written to it, up to a limit.
final class CollectingWriter: ResponseBodyWriter {
    private let buffer = Locked(ByteBuffer())
    private let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    var collected: ByteBuffer { buffer.withLock { $0 } }

    /// - Throws: ``HTTPError`` 413 once more than the limit has been written.
    func write(_ part: ByteBuffer) async throws {
        try buffer.withLock { buffer in
            guard part.readableBytes <= limit - buffer.readableBytes else {
                throw HTTPError.contentTooLarge(limit: limit)
            }
            buffer.writeImmutableBuffer(part)
        }
    }
}
