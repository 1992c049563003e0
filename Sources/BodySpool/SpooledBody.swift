public import NIOCore

/// One body in a ``BodySpool``: appended as it arrives, then read back as often as needed.
///
/// The body stays in memory while it is within the spool's threshold and budget; the first append
/// that would pass either moves it, and everything after it, to a spool file. Memory and file are
/// released when the body is.
///
/// One task appends, then any number read; appending and reading at once is not supported.
public final class SpooledBody: @unchecked Sendable {
    /// How many bytes are gathered before they are written to the file: parts often arrive in
    /// 16 KiB slices, and a write each would cost a system call each.
    static let writeSize = 256 * 1024

    /// An empty buffer, shared: most bodies are empty.
    private static let noBytes = ByteBuffer()

    private let spool: BodySpool
    private var memory: [ByteBuffer] = []
    /// Bytes of the spool's memory budget held by `memory`.
    private var reserved = 0
    private var file: SpoolFile?
    /// Bytes appended after the move to a file and not written to it yet.
    private var unwritten = SpooledBody.noBytes
    /// How many bytes have been appended.
    public private(set) var byteCount = 0

    init(spool: BodySpool) {
        self.spool = spool
    }

    deinit {
        spool.release(reserved)
    }

    /// Whether the body has gone to a file.
    public var isSpooled: Bool { file != nil }

    /// Appends the next bytes of the body.
    ///
    /// - Throws: ``BodySpoolError``: ``BodySpoolError/Code-swift.struct/storageFull`` when the
    ///   file system is full, ``BodySpoolError/Code-swift.struct/storageUnavailable`` when the
    ///   spool directory cannot be written.
    public func append(_ buffer: ByteBuffer) throws(BodySpoolError) {
        let count = buffer.readableBytes
        guard count > 0 else { return }
        byteCount += count
        if file == nil {
            if reserved + count <= spool.configuration.memoryThreshold, spool.reserve(count) {
                memory.append(buffer)
                reserved += count
                return
            }
            try moveToFile()
        }
        if unwritten.readableBytes == 0, count >= Self.writeSize {
            try file!.write(buffer)
            return
        }
        unwritten.writeImmutableBuffer(buffer)
        if unwritten.readableBytes >= Self.writeSize { try flush() }
    }

    /// Writes what has been gathered to the file.
    private func flush() throws(BodySpoolError) {
        guard let file, unwritten.readableBytes > 0 else { return }
        try file.write(unwritten)
        unwritten.clear()
    }

    /// The whole body as one buffer when it is in memory; `nil` once it has gone to a file.
    ///
    /// Parts that arrived separately are joined once, and kept joined.
    public var memoryBuffer: ByteBuffer? {
        guard file == nil else { return nil }
        if memory.isEmpty { return Self.noBytes }
        if memory.count > 1 {
            var joined = ByteBuffer()
            joined.reserveCapacity(byteCount)
            for part in memory { joined.writeImmutableBuffer(part) }
            memory = [joined]
        }
        return memory[0]
    }

    /// The body from its start, in order, in buffers of at most `chunkSize` bytes from the file.
    public func chunks(chunkSize: Int = 64 * 1024) -> Chunks {
        Chunks(body: self, chunkSize: chunkSize)
    }

    private func moveToFile() throws(BodySpoolError) {
        let file = try SpoolFile(directory: spool.configuration.directory)
        for part in memory {
            try file.write(part)
        }
        unwritten.reserveCapacity(Self.writeSize)
        self.file = file
        memory = []
        spool.release(reserved)
        reserved = 0
    }

    /// The parts in memory: none once the body has gone to a file.
    fileprivate var memoryParts: [ByteBuffer] { memory }

    /// The bytes at `position` in the file.
    fileprivate func read(at position: Int, upTo count: Int) throws(BodySpoolError) -> ByteBuffer? {
        try flush()
        guard let file, position < file.size else { return nil }
        var buffer = ByteBufferAllocator().buffer(capacity: min(count, file.size - position))
        let wanted = min(count, file.size - position)
        var failure: BodySpoolError?
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: wanted) { pointer in
            do throws(BodySpoolError) {
                return try file.read(at: position, into: UnsafeMutableRawBufferPointer(rebasing: pointer[..<wanted]))
            } catch {
                failure = error
                return 0
            }
        }
        if let failure { throw failure }
        guard buffer.readableBytes > 0 else {
            throw BodySpoolError(.storageUnavailable, "A spooled body ended before its \(file.size) bytes were read.")
        }
        return buffer
    }

    /// A spooled body's bytes, from its start.
    public struct Chunks: AsyncSequence, Sendable {
        /// A part of the body.
        public typealias Element = ByteBuffer
        let body: SpooledBody
        let chunkSize: Int

        /// An iterator from the body's start.
        public func makeAsyncIterator() -> Iterator {
            Iterator(body: body, chunkSize: chunkSize, memoryParts: body.memoryParts)
        }

        /// Reads the body part by part.
        public struct Iterator: AsyncIteratorProtocol {
            let body: SpooledBody
            let chunkSize: Int
            /// The parts in memory when reading began, so that joining them (``memoryBuffer``)
            /// cannot move a read under way.
            let memoryParts: [ByteBuffer]
            var partIndex = 0
            var position = 0

            /// The next part, or `nil` at the end.
            public mutating func next() async throws -> ByteBuffer? {
                try nextPart()
            }

            /// The next part, or `nil` at the end; without suspending.
            public mutating func nextPart() throws(BodySpoolError) -> ByteBuffer? {
                if partIndex < memoryParts.count {
                    partIndex += 1
                    return memoryParts[partIndex - 1]
                }
                guard let buffer = try body.read(at: position, upTo: chunkSize) else { return nil }
                position += buffer.readableBytes
                return buffer
            }
        }
    }
}

extension SpooledBody {
    /// The whole body in one buffer, read back from its file if it has gone to one.
    public func readAll() throws(BodySpoolError) -> ByteBuffer {
        if let memoryBuffer { return memoryBuffer }
        var all = ByteBuffer()
        all.reserveCapacity(byteCount)
        try forEachPart(chunkSize: 1024 * 1024) { all.writeImmutableBuffer($0) }
        return all
    }

    /// Calls `body` with each part of the body in order, from its start, without suspending.
    public func forEachPart(chunkSize: Int = 64 * 1024, _ body: (ByteBuffer) -> Void) throws(BodySpoolError) {
        var parts = chunks(chunkSize: chunkSize).makeAsyncIterator()
        while let part = try parts.nextPart() { body(part) }
    }
}
