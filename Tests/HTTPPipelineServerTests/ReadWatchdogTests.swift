import Locking
import NIOCore
import NIOEmbedded
import Testing

@testable import HTTPPipelineServer

/// `ReadWatchdog` and its waiters on an event loop whose time only the test moves: every deadline
/// runs out at the check the test expects, to the nanosecond.
@Suite("Read watchdog")
struct ReadWatchdogTests {
    /// Checks every 10 ms, a quarter of 40 ms.
    private static let interval = TimeAmount.milliseconds(10)

    /// A watchdog on a fresh loop, whose time has been moved on a second so that no wait starts at
    /// time zero.
    private static func watchdog(shortestDeadline: Duration = .milliseconds(40)) -> (ReadWatchdog, EmbeddedEventLoop) {
        let loop = EmbeddedEventLoop()
        let watchdog = ReadWatchdog(
            eventLoop: loop, shortestDeadline: shortestDeadline, time: .following(loop))
        loop.advanceTime(by: .seconds(1))
        return (watchdog, loop)
    }

    /// Counts the periodic checks and keeps the time each was given.
    private final class CheckRecorder: Sendable {
        private let instants = Locked<[ContinuousClock.Instant]>([])

        var seen: [ContinuousClock.Instant] { instants.withLock { $0 } }

        func watch(_ watchdog: ReadWatchdog) {
            watchdog.addCheck { [instants] now in instants.withLock { $0.append(now) } }
        }
    }

    @Test("a wait that runs past its limit closes its connection, once")
    func overdueWaitCloses() {
        let (watchdog, loop) = Self.watchdog()
        let control = RecordingStreamControl()
        let waiter = watchdog.makeWaiter(for: control)
        waiter.start(limit: .milliseconds(50), then: .close)
        loop.advanceTime(by: .milliseconds(50))
        #expect(control.closes == 0)
        loop.advanceTime(by: Self.interval)
        #expect(control.closes == 1)
        #expect(control.failures.isEmpty)
        loop.advanceTime(by: .seconds(1))
        #expect(control.closes == 1)
        watchdog.stop()
    }

    @Test("a read that runs out of time with 'fail' fails with Expired and leaves the connection open")
    func overdueWaitFails() {
        let (watchdog, loop) = Self.watchdog()
        let control = RecordingStreamControl()
        let waiter = watchdog.makeWaiter(for: control)
        waiter.start(limit: .milliseconds(50), then: .fail)
        loop.advanceTime(by: .milliseconds(60))
        #expect(control.closes == 0)
        #expect(control.failures.count == 1)
        #expect(control.failures.first is ReadWatchdog.Expired)
        loop.advanceTime(by: .seconds(1))
        #expect(control.failures.count == 1)
        watchdog.stop()
    }

    @Test("a wait exactly as long as its limit has not run out; one nanosecond more than its limit has")
    func limitBoundary() {
        let (watchdog, loop) = Self.watchdog()
        let exact = RecordingStreamControl()
        let shorter = RecordingStreamControl()
        watchdog.makeWaiter(for: exact).start(limit: .milliseconds(50), then: .close)
        watchdog.makeWaiter(for: shorter).start(limit: .milliseconds(50) - .nanoseconds(1), then: .close)
        loop.advanceTime(by: .milliseconds(50))
        #expect(exact.closes == 0)
        #expect(shorter.closes == 1)
        loop.advanceTime(by: Self.interval)
        #expect(exact.closes == 1)
        watchdog.stop()
    }

    @Test("a stopped wait never expires")
    func stoppedWait() {
        let (watchdog, loop) = Self.watchdog()
        let control = RecordingStreamControl()
        let waiter = watchdog.makeWaiter(for: control)
        waiter.start(limit: .milliseconds(50), then: .close)
        loop.advanceTime(by: .milliseconds(40))
        waiter.stop()
        loop.advanceTime(by: .seconds(10))
        #expect(control.closes == 0)
        #expect(control.failures.isEmpty)
        watchdog.stop()
    }

    @Test("a wait started again is timed from its new start, with its new limit and expiry")
    func restartedWait() {
        let (watchdog, loop) = Self.watchdog()
        let control = RecordingStreamControl()
        let waiter = watchdog.makeWaiter(for: control)
        waiter.start(limit: .milliseconds(50), then: .close)
        loop.advanceTime(by: .milliseconds(40))
        waiter.stop()
        waiter.start(limit: .milliseconds(30), then: .fail)
        loop.advanceTime(by: .milliseconds(30))
        #expect(control.closes == 0)
        #expect(control.failures.isEmpty)
        loop.advanceTime(by: Self.interval)
        #expect(control.closes == 0)
        #expect(control.failures.count == 1)
        watchdog.stop()
    }

    @Test("each waiter has its own deadline, and a forgotten one is no longer watched")
    func waitersAreIndependent() {
        let (watchdog, loop) = Self.watchdog()
        let forgottenControl = RecordingStreamControl()
        let keptControl = RecordingStreamControl()
        let forgotten = watchdog.makeWaiter(for: forgottenControl)
        let kept = watchdog.makeWaiter(for: keptControl)
        forgotten.start(limit: .milliseconds(20), then: .close)
        kept.start(limit: .milliseconds(20), then: .close)
        watchdog.forget(forgotten)
        loop.advanceTime(by: .seconds(1))
        #expect(forgottenControl.closes == 0)
        #expect(keptControl.closes == 1)
        watchdog.stop()
    }

    @Test("a limit too long to count in nanoseconds never runs out; a negative one runs out at the next check")
    func extremeLimits() {
        let (watchdog, loop) = Self.watchdog()
        let endless = RecordingStreamControl()
        let negative = RecordingStreamControl()
        watchdog.makeWaiter(for: endless).start(limit: .seconds(Int64.max), then: .close)
        watchdog.makeWaiter(for: negative).start(limit: .milliseconds(-5), then: .close)
        loop.advanceTime(by: Self.interval)
        #expect(negative.closes == 1)
        loop.advanceTime(by: .seconds(10))
        #expect(endless.closes == 0)
        watchdog.stop()
    }

    @Test(
        "the checks run every quarter of the shortest deadline, at least every second and at most every 10 ms",
        arguments: [
            (Duration.milliseconds(400), TimeAmount.milliseconds(100)),
            (.milliseconds(1), .milliseconds(10)),
            (.seconds(3600), .seconds(1)),
        ])
    func checkInterval(shortestDeadline: Duration, interval: TimeAmount) {
        let loop = EmbeddedEventLoop()
        let watchdog = ReadWatchdog(eventLoop: loop, shortestDeadline: shortestDeadline, time: .following(loop))
        let checks = CheckRecorder()
        checks.watch(watchdog)
        loop.advanceTime(by: interval - .nanoseconds(1))
        #expect(checks.seen.isEmpty)
        loop.advanceTime(by: .nanoseconds(1))
        #expect(checks.seen.count == 1)
        loop.advanceTime(by: interval * 2)
        let seen = checks.seen
        #expect(seen.count == 3)
        #expect(seen.count == 3 && seen[0].duration(to: seen[2]) == Duration(interval * 2))
        watchdog.stop()
    }

    @Test("a stopped watchdog runs no check and expires no wait")
    func stoppedWatchdog() {
        let (watchdog, loop) = Self.watchdog()
        let control = RecordingStreamControl()
        let checks = CheckRecorder()
        checks.watch(watchdog)
        watchdog.makeWaiter(for: control).start(limit: .milliseconds(20), then: .close)
        watchdog.stop()
        loop.advanceTime(by: .seconds(10))
        #expect(checks.seen.isEmpty)
        #expect(control.closes == 0)
    }

    @Test("a watchdog watching a connection stops when the connection closes")
    func stopsWithItsConnection() throws {
        let channel = EmbeddedChannel()
        let watchdog = ReadWatchdog.watching(channel, configuration: HTTPServerConfiguration(port: 0))
        let checks = CheckRecorder()
        checks.watch(watchdog)
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(checks.seen.count == 1)
        try channel.close().wait()
        channel.embeddedEventLoop.advanceTime(by: .seconds(10))
        #expect(checks.seen.count == 1)
    }
}
