import HTTPTypes
import Locking
import NIOCore
import NIOHTTPTypes
import Testing

@testable import HTTPPipelineServer

/// The request parts of an HTTP/1.1 connection or an HTTP/2 stream on their way from its channel to
/// its task.
@Suite("Request part inbox")
struct RequestPartInboxTests {
    /// The inbox's requests to read the channel, counted and announced.
    private final class ReadRequests: Sendable {
        private let count = Locked(0)
        private let announcements: AsyncStream<Void>
        private let announce: AsyncStream<Void>.Continuation

        init() {
            (announcements, announce) = AsyncStream.makeStream(of: Void.self)
        }

        var made: Int { count.withLock { $0 } }

        func record() {
            count.withLock { $0 += 1 }
            announce.yield()
        }

        /// Returns once a request (not yet awaited) has been made.
        func next() async {
            for await _ in announcements { return }
        }
    }

    private static func inbox() -> (RequestPartInbox, ReadRequests) {
        let reads = ReadRequests()
        return (RequestPartInbox { reads.record() }, reads)
    }

    private static let body = HTTPRequestPart.body(ByteBuffer(string: "body"))

    @Test("parts come out in order; the channel is read again only once they are taken")
    func partsInOrder() async throws {
        let (inbox, reads) = Self.inbox()
        inbox.receive(Self.body)
        inbox.receive(Self.body)
        #expect(!inbox.readCompleted())
        #expect(try await inbox.next() == Self.body)
        #expect(reads.made == 0)
        #expect(try await inbox.next() == Self.body)
        #expect(reads.made == 1)
        inbox.receive(.end(nil))
        #expect(!inbox.readCompleted())
        #expect(try await inbox.next() == .end(nil))
        #expect(reads.made == 1)
    }

    @Test("a waiting task gets the next part as it arrives")
    func waiting() async throws {
        let (inbox, reads) = Self.inbox()
        async let part = inbox.next()
        await reads.next()
        inbox.receive(Self.body)
        #expect(try await part == Self.body)
    }

    @Test("a read that brings nothing for a waiting task is followed by another")
    func readAgainForAWaitingTask() async throws {
        let (inbox, reads) = Self.inbox()
        async let part = inbox.next()
        await reads.next()
        #expect(inbox.readCompleted())
        inbox.receive(Self.body)
        #expect(try await part == Self.body)
    }

    @Test("an error ends the parts after those received, and is thrown once")
    func errorAfterParts() async throws {
        struct Broken: Error {}
        let (inbox, _) = Self.inbox()
        inbox.receive(Self.body)
        inbox.finish(Broken())
        inbox.receive(Self.body)
        #expect(try await inbox.next() == Self.body)
        await #expect(throws: Broken.self) { try await inbox.next() }
        #expect(try await inbox.next() == nil)
    }

    @Test("a closed stream ends a waiting read with nothing")
    func closedWhileWaiting() async throws {
        let (inbox, reads) = Self.inbox()
        async let part = inbox.next()
        await reads.next()
        inbox.finish()
        #expect(try await part == nil)
    }

    @Test("cancelling the task ends its read")
    func cancelled() async throws {
        let (inbox, reads) = Self.inbox()
        let reading = Task { try await inbox.next() }
        await reads.next()
        reading.cancel()
        await #expect(throws: CancellationError.self) { try await reading.value }
    }
}
