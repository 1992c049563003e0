import BodySpool
import HTTPPipeline
import NIOCore

extension RequestBody {
    /// A body read back from `spooled` as the handler reads it.
    init(spooled: SpooledBody) {
        self.init(source: SpooledBodySource(spooled))
    }
}

/// Reads a spooled body from its start, once.
private final class SpooledBodySource: RequestBodySource, @unchecked Sendable {
    private var chunks: SpooledBody.Chunks.Iterator

    init(_ body: SpooledBody) {
        chunks = body.chunks().makeAsyncIterator()
    }

    func nextBuffer() async throws -> ByteBuffer? {
        try chunks.nextPart()
    }
}
