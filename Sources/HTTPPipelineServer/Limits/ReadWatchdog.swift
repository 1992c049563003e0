import Locking
import NIOCore
import Synchronization

/// Enforces read deadlines on one connection: a wait that runs past its limit closes its
/// connection (or resets its HTTP/2 stream) or fails the read in progress.
///
/// Arming a timer for every read would wake the event loop twice per read; instead each reader
/// has a ``Waiter`` that records, in atomics, when its wait started, and one periodic check per
/// connection — shared by all the streams of an HTTP/2 connection — compares.
final class ReadWatchdog: Sendable {
    /// What happens to a connection or stream whose wait runs out.
    enum Expiry: UInt8, Sendable {
        /// The connection is closed, or the stream reset: nothing can be answered any more.
        case close
        /// The read in progress fails with ``Expired``, so that a response can still be written.
        case fail
    }

    /// The error of a read that ran out of time with ``Expiry/fail``.
    struct Expired: Error {}

    /// Where the watchdog reads the time: the system's clocks, or a test's, which moves only when
    /// the test moves it.
    struct TimeSource: Sendable {
        /// The time in `NIODeadline` nanoseconds, which a waiter can keep in an atomic.
        var uptimeNanoseconds: @Sendable () -> UInt64
        /// The time handed to the checks of ``addCheck(_:)``.
        var instant: @Sendable () -> ContinuousClock.Instant

        static let system = TimeSource(
            uptimeNanoseconds: { NIODeadline.now().uptimeNanoseconds }, instant: { ContinuousClock.now })
    }

    /// The deadline of one reader's waits.
    final class Waiter: Sendable {
        private let control: any RequestStreamControl
        private let time: TimeSource
        /// When the wait started, in `NIODeadline` nanoseconds; 0 while not waiting.
        private let since = Atomic<UInt64>(0)
        private let limit = Atomic<UInt64>(0)
        private let expiry = Atomic<UInt8>(Expiry.close.rawValue)

        fileprivate init(control: any RequestStreamControl, time: TimeSource) {
            self.control = control
            self.time = time
        }

        /// Starts a wait that expires after `limit`.
        func start(limit: Duration, then expiry: Expiry) {
            let (seconds, attoseconds) = limit.components
            let nanoseconds = seconds.multipliedReportingOverflow(by: 1_000_000_000)
            let total = nanoseconds.overflow ? Int64.max : nanoseconds.partialValue &+ attoseconds / 1_000_000_000
            self.limit.store(UInt64(max(0, total)), ordering: .relaxed)
            self.expiry.store(expiry.rawValue, ordering: .relaxed)
            since.store(max(1, time.uptimeNanoseconds()), ordering: .releasing)
        }

        /// Ends the wait.
        func stop() {
            since.store(0, ordering: .releasing)
        }

        fileprivate func expireIfOverdue(now: UInt64) {
            let started = since.load(ordering: .acquiring)
            guard started != 0, now > started, now - started > limit.load(ordering: .relaxed) else { return }
            // Only the wait that was seen overdue expires, not one started since.
            guard since.compareExchange(expected: started, desired: 0, ordering: .acquiringAndReleasing).exchanged
            else { return }
            switch Expiry(rawValue: expiry.load(ordering: .relaxed)) {
            case .fail: control.failReads(Expired())
            case .close, nil: control.close()
            }
        }
    }

    private final class Watched: Sendable {
        let time: TimeSource
        let waiters = Locked<[ObjectIdentifier: Waiter]>([:])
        let checks = Locked<[@Sendable (ContinuousClock.Instant) -> Void]>([])

        init(time: TimeSource) {
            self.time = time
        }

        func checkAll() {
            let now = time.uptimeNanoseconds()
            for waiter in waiters.withLock({ Array($0.values) }) { waiter.expireIfOverdue(now: now) }
            let instant = time.instant()
            for check in checks.withLock({ $0 }) { check(instant) }
        }
    }

    private let watched: Watched
    private let check: RepeatedTask

    /// A watchdog for `connection`'s reads, which stops when the connection closes.
    static func watching(_ connection: any Channel, configuration: HTTPServerConfiguration) -> ReadWatchdog {
        let watchdog = ReadWatchdog(eventLoop: connection.eventLoop, shortestDeadline: configuration.shortestDeadline)
        connection.closeFuture.whenComplete { _ in watchdog.stop() }
        return watchdog
    }

    /// Watches waits on `eventLoop`'s channels, checking often enough for deadlines of
    /// `shortestDeadline` and more, in the time `time` tells.
    init(eventLoop: any EventLoop, shortestDeadline: Duration, time: TimeSource = .system) {
        let interval = min(max(shortestDeadline / 4, .milliseconds(10)), .seconds(1))
        let watched = Watched(time: time)
        self.watched = watched
        check = eventLoop.scheduleRepeatedTask(initialDelay: TimeAmount(interval), delay: TimeAmount(interval)) { _ in
            watched.checkAll()
        }
    }

    /// A waiter for reads from the connection or stream that `control` controls, watched until
    /// ``forget(_:)``.
    func makeWaiter(for control: any RequestStreamControl) -> Waiter {
        let waiter = Waiter(control: control, time: watched.time)
        watched.waiters.withLock { $0[ObjectIdentifier(waiter)] = waiter }
        return waiter
    }

    /// Stops watching `waiter`.
    func forget(_ waiter: Waiter) {
        _ = watched.waiters.withLock { $0.removeValue(forKey: ObjectIdentifier(waiter)) }
    }

    /// The time the checks of ``addCheck(_:)`` are given, now.
    var now: ContinuousClock.Instant { watched.time.instant() }

    /// Adds a deadline that its owner keeps itself: `check` is called on the event loop at every
    /// periodic check, with the time, until the watchdog stops.
    func addCheck(_ check: @escaping @Sendable (ContinuousClock.Instant) -> Void) {
        watched.checks.withLock { $0.append(check) }
    }

    /// Stops watching.
    func stop() {
        check.cancel()
        watched.checks.withLock { $0 = [] }
        watched.waiters.withLock { $0 = [:] }
    }
}
