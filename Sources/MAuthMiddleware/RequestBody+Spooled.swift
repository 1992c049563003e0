import BodySpool
import HTTPPipeline
import NIOCore

extension RequestBody {
    /// A body read back from `spooled` as the handler reads it.
    init(spooled: SpooledBody) {
        self.init(source: SpooledBodySource(spooled))
    }
}

/// Reads a spooled body from its start, once, one part ahead of the handler: the next part is
/// read from the file on another thread while the handler works on this one.
private final class SpooledBodySource: RequestBodySource, @unchecked Sendable {
    /// Large enough that a read costs little beside what a handler does with the bytes.
    static let partSize = 256 * 1024

    private var chunks: SpooledBody.Chunks.Iterator
    /// The read of the next part; the iterator is touched by it alone until it ends.
    private var readingAhead: Task<Result<ByteBuffer?, BodySpoolError>, Never>?

    init(_ body: SpooledBody) {
        chunks = body.chunks(chunkSize: Self.partSize).makeAsyncIterator()
    }

    func nextBuffer() async throws -> ByteBuffer? {
        let part = await (readingAhead ?? readAhead()).value
        readingAhead = nil
        if case .success(.some) = part { readingAhead = readAhead() }
        return try part.get()
    }

    private func readAhead() -> Task<Result<ByteBuffer?, BodySpoolError>, Never> {
        Task.detached { Result { () throws(BodySpoolError) in try self.chunks.nextPart() } }
    }
}
