import HTTPPipeline
import HTTPTypes
import Locking
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Testing

@testable import HTTPPipelineServer

/// `StreamedRequestBody` read from a request part inbox whose parts the test hands in, with its
/// deadlines kept by a watchdog on an event loop whose time only the test moves.
@Suite("Streamed request body")
struct StreamedRequestBodyTests {
    /// The inbox's requests to read the connection, announced: a request made while the inbox is
    /// empty means a read is waiting for the client.
    private final class ReadRequests: Sendable {
        private let announcements: AsyncStream<Void>
        private let announce: AsyncStream<Void>.Continuation

        init() {
            (announcements, announce) = AsyncStream.makeStream(of: Void.self)
        }

        func record() {
            announce.yield()
        }

        /// Returns once a request (not yet awaited) has been made.
        func next() async {
            for await _ in announcements { return }
        }
    }

    private struct Fixture {
        let body: StreamedRequestBody
        let inbox: RequestPartInbox
        let reads: ReadRequests
        let control: RecordingStreamControl
        let loop: NIOAsyncTestingEventLoop
        let watchdog: ReadWatchdog

        /// Hands `part` to the read that is waiting for it, once `wait` has passed.
        func arrive(_ part: HTTPRequestPart, after wait: TimeAmount = .zero) async {
            await reads.next()
            await loop.advanceTime(by: wait)
            inbox.receive(part)
            _ = inbox.readCompleted()
        }
    }

    /// A body whose watchdog checks every 10 ms.
    private static func fixture(
        limit: Int = 1024,
        total: Duration = .seconds(1),
        minimumRate: Int = 0,
        gracePeriod: Duration = .zero,
        sendContinue: (@Sendable () async throws -> Void)? = nil
    ) -> Fixture {
        let reads = ReadRequests()
        let inbox = RequestPartInbox { reads.record() }
        let control = RecordingStreamControl(inbox: inbox)
        let loop = NIOAsyncTestingEventLoop()
        let watchdog = ReadWatchdog(eventLoop: loop, shortestDeadline: .milliseconds(40), time: .following(loop))
        var configuration = HTTPServerConfiguration(port: 0)
        configuration.requestBodyTimeout = total
        configuration.minimumRequestBodyRate = minimumRate
        configuration.requestBodyRateGracePeriod = gracePeriod
        let body = StreamedRequestBody(
            reader: InboundRequestReader(inbox, control: control, watchdog: watchdog),
            limit: limit,
            deadline: StreamedRequestBody.Deadline(configuration),
            sendContinue: sendContinue
        )
        return Fixture(body: body, inbox: inbox, reads: reads, control: control, loop: loop, watchdog: watchdog)
    }

    private static func part(_ text: String) -> HTTPRequestPart {
        .body(ByteBuffer(string: text))
    }

    /// Counts the `100 Continue` responses sent.
    private final class ContinueCounter: Sendable {
        private let count = Locked(0)
        var sent: Int { count.withLock { $0 } }
        func send() { count.withLock { $0 += 1 } }
    }

    @Test("the body's parts come out in order, and once it has ended every read returns nothing")
    func partsInOrder() async throws {
        let fixture = Self.fixture()
        for part in [Self.part("ab"), Self.part("cd"), .end(nil)] { fixture.inbox.receive(part) }
        #expect(try await fixture.body.nextBuffer() == ByteBuffer(string: "ab"))
        #expect(!fixture.body.isComplete)
        #expect(try await fixture.body.nextBuffer() == ByteBuffer(string: "cd"))
        #expect(try await fixture.body.nextBuffer() == nil)
        #expect(fixture.body.isComplete)
        #expect(try await fixture.body.nextBuffer() == nil)
        #expect(fixture.body.received == 4)
        fixture.watchdog.stop()
    }

    @Test("a body of exactly the limit is read whole; one byte more is refused with 413")
    func sizeLimit() async throws {
        let exact = Self.fixture(limit: 4)
        for part in [Self.part("ab"), Self.part("cd"), .end(nil)] { exact.inbox.receive(part) }
        #expect(try await exact.body.nextBuffer() != nil)
        #expect(try await exact.body.nextBuffer() != nil)
        #expect(try await exact.body.nextBuffer() == nil)
        exact.watchdog.stop()

        let over = Self.fixture(limit: 4)
        for part in [Self.part("ab"), Self.part("cde")] { over.inbox.receive(part) }
        #expect(try await over.body.nextBuffer() != nil)
        let error = await #expect(throws: HTTPError.self) { try await over.body.nextBuffer() }
        #expect(error?.status == .contentTooLarge)
        over.watchdog.stop()
    }

    @Test("a read while another is under way throws, and so does one after the handler returned")
    func misuse() async throws {
        let fixture = Self.fixture()
        let reading = Task { try await fixture.body.nextBuffer() }
        await fixture.reads.next()
        await #expect(throws: BodyMisuse.self) { try await fixture.body.nextBuffer() }
        #expect(!fixture.body.handlerReturned())
        fixture.inbox.receive(Self.part("ab"))
        #expect(try await reading.value == ByteBuffer(string: "ab"))
        await #expect(throws: BodyMisuse.self) { try await fixture.body.nextBuffer() }
        fixture.watchdog.stop()
    }

    @Test("a handler that returns with no read under way leaves the connection usable")
    func handlerReturnedIdle() async throws {
        let fixture = Self.fixture()
        fixture.inbox.receive(Self.part("ab"))
        #expect(try await fixture.body.nextBuffer() != nil)
        #expect(fixture.body.handlerReturned())
        await #expect(throws: BodyMisuse.self) { try await fixture.body.nextBuffer() }
        #expect(fixture.inbox.waitingParts == 0)
        fixture.watchdog.stop()
    }

    @Test("100 Continue is sent before the first read and only then")
    func continueBeforeTheFirstRead() async throws {
        let counter = ContinueCounter()
        let fixture = Self.fixture(sendContinue: { counter.send() })
        #expect(fixture.body.withheldContinue)
        for part in [Self.part("ab"), .end(nil)] { fixture.inbox.receive(part) }
        #expect(counter.sent == 0)
        #expect(try await fixture.body.nextBuffer() != nil)
        #expect(counter.sent == 1)
        #expect(!fixture.body.withheldContinue)
        #expect(try await fixture.body.nextBuffer() == nil)
        #expect(counter.sent == 1)
        fixture.watchdog.stop()
    }

    @Test("a body whose 100 Continue was withheld is not discarded: the client may never send it")
    func noDiscardWithoutContinue() async throws {
        let counter = ContinueCounter()
        let fixture = Self.fixture(sendContinue: { counter.send() })
        fixture.inbox.receive(Self.part("ab"))
        #expect(await !fixture.body.discardRest(maximum: 1024))
        #expect(counter.sent == 0)
        #expect(fixture.inbox.waitingParts == 1)
        fixture.watchdog.stop()
    }

    @Test(
        "a body cut short, by the peer leaving or by another head, is a 400",
        arguments: [false, true])
    func cutShort(byAHead: Bool) async throws {
        let fixture = Self.fixture()
        fixture.inbox.receive(Self.part("ab"))
        if byAHead {
            fixture.inbox.receive(.head(HTTPRequest(method: .get, scheme: nil, authority: "x", path: "/")))
        } else {
            fixture.inbox.finish()
        }
        #expect(try await fixture.body.nextBuffer() != nil)
        let error = await #expect(throws: HTTPError.self) { try await fixture.body.nextBuffer() }
        #expect(error?.status == .badRequest)
        #expect(fixture.body.isComplete)
        #expect(!fixture.body.timedOut)
        fixture.watchdog.stop()
    }

    @Test("a read that waits past the body's time throws 408 and leaves the connection open for the answer")
    func readTimesOut() async throws {
        let fixture = Self.fixture(total: .seconds(1))
        let reading = Task { try await fixture.body.nextBuffer() }
        await fixture.reads.next()
        await fixture.loop.advanceTime(by: .seconds(1))
        #expect(fixture.control.failures.isEmpty)
        await fixture.loop.advanceTime(by: .milliseconds(10))
        let error = await #expect(throws: HTTPError.self) { try await reading.value }
        #expect(error?.status == .requestTimeout)
        #expect(fixture.body.timedOut)
        #expect(fixture.control.closes == 0)
        #expect(await !fixture.body.discardRest(maximum: 1024))
        fixture.watchdog.stop()
    }

    @Test("only the time spent waiting for the client counts: a handler's pause between reads does not")
    func onlyWaitingCounts() async throws {
        let fixture = Self.fixture(total: .seconds(1))
        async let first = fixture.body.nextBuffer()
        await fixture.arrive(Self.part("a"), after: .milliseconds(600))
        #expect(try await first != nil)
        await fixture.loop.advanceTime(by: .seconds(10))
        async let second = fixture.body.nextBuffer()
        await fixture.arrive(Self.part("b"), after: .milliseconds(390))
        #expect(try await second != nil)
        let third = Task { try await fixture.body.nextBuffer() }
        await fixture.reads.next()
        await fixture.loop.advanceTime(by: .milliseconds(20))
        let error = await #expect(throws: HTTPError.self) { try await third.value }
        #expect(error?.status == .requestTimeout)
        fixture.watchdog.stop()
    }

    @Test("a body that has used exactly its time fails at its next read, at once, and the connection's reads end")
    func noTimeLeft() async throws {
        let fixture = Self.fixture(total: .seconds(1))
        async let first = fixture.body.nextBuffer()
        await fixture.arrive(Self.part("a"), after: .seconds(1))
        #expect(try await first != nil)
        #expect(fixture.control.failures.isEmpty)
        let error = await #expect(throws: HTTPError.self) { try await fixture.body.nextBuffer() }
        #expect(error?.status == .requestTimeout)
        #expect(fixture.body.timedOut)
        #expect(fixture.control.failures.count == 1)
        #expect(fixture.control.failures.first is ReadWatchdog.Expired)
        fixture.watchdog.stop()
    }

    @Test("past the grace period a body has the time its bytes earn at the minimum rate, and no more")
    func minimumRate() async throws {
        let fixture = Self.fixture(
            limit: 1 << 20, total: .seconds(300), minimumRate: 1000, gracePeriod: .seconds(1))
        async let first = fixture.body.nextBuffer()
        await fixture.arrive(.body(ByteBuffer(repeating: 0x61, count: 2000)), after: .milliseconds(900))
        #expect(try await first != nil)
        async let second = fixture.body.nextBuffer()
        await fixture.arrive(Self.part("b"), after: .milliseconds(1100))
        #expect(try await second != nil)
        let third = Task { try await fixture.body.nextBuffer() }
        await fixture.reads.next()
        await fixture.loop.advanceTime(by: .milliseconds(10))
        let error = await #expect(throws: HTTPError.self) { try await third.value }
        #expect(error?.status == .requestTimeout)
        fixture.watchdog.stop()
    }

    @Test(
        "the wait allowed is the grace period, then what the bytes earn at the minimum rate, never over the total",
        arguments: [
            (1000, 0, Duration.seconds(5)),
            (1000, 5000, .seconds(5)),
            (1000, 5001, .seconds(5.001)),
            (1000, 300_000, .seconds(300)),
            (1000, 300_001, .seconds(300)),
            (0, 0, .seconds(300)),
            (0, 1_000_000_000, .seconds(300)),
        ])
    func allowedWait(minimumRate: Int, received: Int, allowed: Duration) {
        var configuration = HTTPServerConfiguration(port: 0)
        configuration.requestBodyTimeout = .seconds(300)
        configuration.minimumRequestBodyRate = minimumRate
        configuration.requestBodyRateGracePeriod = .seconds(5)
        #expect(StreamedRequestBody.Deadline(configuration).allowedWait(received: received) == allowed)
    }

    @Test("discarding reads the rest to the body's end, up to the maximum exactly", arguments: [4, 3])
    func discardRest(maximum: Int) async throws {
        let fixture = Self.fixture()
        for part in [Self.part("ab"), Self.part("cd"), .end(nil)] { fixture.inbox.receive(part) }
        #expect(await fixture.body.discardRest(maximum: maximum) == (maximum >= 4))
        #expect(fixture.body.isComplete == (maximum >= 4))
        fixture.watchdog.stop()
    }

    @Test("discarding a body cut short reports that it did not end properly")
    func discardCutShort() async throws {
        let fixture = Self.fixture()
        fixture.inbox.receive(Self.part("ab"))
        fixture.inbox.finish()
        #expect(await !fixture.body.discardRest(maximum: 1024))
        fixture.watchdog.stop()
    }

    @Test("discarding a body that stops arriving closes the connection when the body's time runs out")
    func discardTimesOut() async throws {
        let fixture = Self.fixture(total: .seconds(1))
        let discarding = Task { await fixture.body.discardRest(maximum: 1024) }
        await fixture.reads.next()
        await fixture.loop.advanceTime(by: .seconds(1))
        #expect(fixture.control.closes == 0)
        await fixture.loop.advanceTime(by: .milliseconds(10))
        #expect(await !discarding.value)
        #expect(fixture.control.closes == 1)
        #expect(fixture.control.failures.isEmpty)
        fixture.watchdog.stop()
    }
}
