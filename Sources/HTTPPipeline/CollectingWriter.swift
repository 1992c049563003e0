import Locking
import NIOCore

/// A ``ResponseBodyWriter`` that keeps everything written to it.
final class CollectingWriter: ResponseBodyWriter {
    private let buffer = Locked(ByteBuffer())

    var collected: ByteBuffer { buffer.withLock { $0 } }

    func write(_ part: ByteBuffer) async throws {
        buffer.withLock { _ = $0.writeImmutableBuffer(part) }
    }
}
