import BodySpool
import Foundation
import MAuthTestSupport
import NIOCore
import Testing

@Suite("Body spool")
struct BodySpoolTests {
    private static func bytes(_ count: Int, seed: UInt8 = 0) -> ByteBuffer {
        ByteBuffer(bytes: (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7) &+ seed })
    }

    private static func readBack(_ body: SpooledBody, chunkSize: Int = 1000) async throws -> ByteBuffer {
        var all = ByteBuffer()
        for try await var part in body.chunks(chunkSize: chunkSize) {
            #expect(part.readableBytes <= max(chunkSize, 4096))
            all.writeBuffer(&part)
        }
        return all
    }

    private static func entries(_ directory: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path)
    }

    @Test("a body within the threshold stays in memory and counts against the budget until it is released")
    func inMemory() async throws {
        try await withTemporaryDirectory("spool") { directory in
            let spool = try BodySpool(configuration: .init(directory: directory.path, memoryThreshold: 4096))
            var body: SpooledBody? = spool.makeBody()
            try body!.append(Self.bytes(1000))
            try body!.append(Self.bytes(3000, seed: 1))
            #expect(!body!.isSpooled)
            #expect(body!.byteCount == 4000)
            #expect(spool.bytesInMemory == 4000)
            var expected = Self.bytes(1000)
            expected.writeImmutableBuffer(Self.bytes(3000, seed: 1))
            #expect(body!.memoryBuffer == expected)
            #expect(try await Self.readBack(body!) == expected)
            body = nil
            #expect(spool.bytesInMemory == 0)
            #expect(try Self.entries(directory).isEmpty)
        }
    }

    @Test("past the threshold the whole body goes to a file without a name, and reads back as it was")
    func toFile() async throws {
        try await withTemporaryDirectory("spool") { directory in
            let spool = try BodySpool(configuration: .init(directory: directory.path, memoryThreshold: 4096))
            let body = spool.makeBody()
            var expected = ByteBuffer()
            for seed in 0..<40 {
                let part = Self.bytes(997, seed: UInt8(seed))
                try body.append(part)
                expected.writeImmutableBuffer(part)
            }
            #expect(body.isSpooled)
            #expect(body.memoryBuffer == nil)
            #expect(spool.bytesInMemory == 0)
            #expect(try await Self.readBack(body) == expected)
            #expect(try await Self.readBack(body, chunkSize: 65_536) == expected, "a body can be read again")
            #expect(try body.readAll() == expected)
            #expect(try Self.entries(directory).isEmpty, "the spool file has no name")
        }
    }

    @Test("a body that would pass the budget goes to a file, whatever its size")
    func budget() async throws {
        try await withTemporaryDirectory("spool") { directory in
            let spool = try BodySpool(
                configuration: .init(directory: directory.path, memoryThreshold: 4096, memoryBudget: 5000))
            let first = spool.makeBody()
            try first.append(Self.bytes(4000))
            let second = spool.makeBody()
            try second.append(Self.bytes(2000))
            #expect(!first.isSpooled)
            #expect(second.isSpooled)
            #expect(spool.bytesInMemory == 4000)
            try first.append(Self.bytes(1000))
            #expect(first.isSpooled, "past the threshold")
            #expect(spool.bytesInMemory == 0)
        }
    }

    @Test("a spool whose directory cannot be written is refused when it is made")
    func unwritableDirectory() {
        #expect(throws: BodySpoolError.self) {
            try BodySpool(configuration: .init(directory: "/nonexistent/spool"))
        }
        do {
            _ = try BodySpool(configuration: .init(directory: "/nonexistent/spool"))
        } catch {
            #expect(error.code == .storageUnavailable)
            #expect(error.message.hasPrefix("Cannot create a spool file in /nonexistent/spool: "), "\(error.message)")
        }
    }

    @Test(
        "a full file system is reported as such",
        .enabled(if: TmpfsMount.isAvailable, "needs root to mount a small tmpfs"))
    func fullFileSystem() async throws {
        try await TmpfsMount.with(kilobytes: 64) { directory in
            let spool = try BodySpool(configuration: .init(directory: directory.path, memoryThreshold: 1024))
            let body = spool.makeBody()
            #expect {
                for _ in 0..<100 { try body.append(Self.bytes(4096)) }
            } throws: { error in
                (error as? BodySpoolError)?.code == .storageFull
            }
        }
    }
}
