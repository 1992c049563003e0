import MAuth
import NIOCore

/// Feeds a ``/MAuth/MAuthBodyDigester`` on another thread while the body goes on arriving, so
/// that hashing a large body and receiving and spooling it share two cores rather than take
/// turns on one.
///
/// Parts are gathered into batches of ``batchSize``; one batch is hashed while the next is
/// gathered, so the digests lag at most two batches behind the body, and memory at most that.
/// One task feeds it, and awaits each call.
final class BackgroundDigester: @unchecked Sendable {
    /// Large enough that handing a batch over costs little beside hashing it (about 250 µs), small
    /// enough that many uploads at once hold little memory for it.
    static let batchSize = 256 * 1024

    private let digester: MAuthBodyDigester
    private var batch: [ByteBuffer] = []
    private var batchBytes = 0
    /// The batch being hashed; the digester is touched by it alone until it ends.
    private var hashing: Task<Void, Never>?

    init(_ digester: MAuthBodyDigester) {
        self.digester = digester
    }

    /// Adds the next part of the body, handing a full batch over to be hashed.
    func update(_ part: ByteBuffer) async {
        batch.append(part)
        batchBytes += part.readableBytes
        if batchBytes >= Self.batchSize { await handOver() }
    }

    /// The digests, once every part has been hashed.
    func finish() async -> MAuthBodyDigest {
        await handOver()
        await hashing?.value
        return digester.finish()
    }

    private func handOver() async {
        await hashing?.value
        guard !batch.isEmpty else { return }
        let parts = batch
        batch = []
        batchBytes = 0
        hashing = Task.detached { self.hash(parts) }
    }

    private func hash(_ parts: [ByteBuffer]) {
        for part in parts {
            part.withUnsafeReadableBytes { digester.update($0) }
        }
    }
}
