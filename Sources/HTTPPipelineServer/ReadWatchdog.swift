import NIOCore
import Synchronization

/// Enforces read deadlines on one connection: a wait that runs past its limit closes its channel
/// or fails the read in progress.
///
/// Arming a timer for every read would wake the event loop twice per read; instead a wait only
/// records when it started, and one periodic check per connection — shared by all the streams of
/// an HTTP/2 connection — compares.
final class ReadWatchdog: Sendable {
    /// What happens to a channel whose wait runs out.
    enum Expiry: Sendable {
        /// The channel is closed: nothing can be answered any more.
        case close
        /// The read in progress fails with this error, so that a response can still be written.
        case fail(any Error & Sendable)
    }

    private struct Waiting {
        var channel: any Channel
        var since: ContinuousClock.Instant
        var limit: Duration
        var expiry: Expiry
    }

    private final class PendingReads: Sendable {
        let waiting = Mutex<[ObjectIdentifier: Waiting]>([:])
        let checks = Mutex<[@Sendable (ContinuousClock.Instant) -> Void]>([])

        func expireOverdue() {
            let now = ContinuousClock.now
            for check in checks.withLock({ $0 }) { check(now) }
            let overdue = waiting.withLock { waiting in
                let overdue = waiting.filter { $0.value.since.duration(to: now) > $0.value.limit }
                for key in overdue.keys { waiting[key] = nil }
                return overdue.values
            }
            for waiting in overdue {
                switch waiting.expiry {
                case .close: waiting.channel.close(promise: nil)
                case .fail(let error): waiting.channel.pipeline.fireErrorCaught(error)
                }
            }
        }
    }

    private let pending = PendingReads()
    private let check: RepeatedTask

    /// Watches waits on `eventLoop`'s channels, checking often enough for deadlines of
    /// `shortestDeadline` and more.
    init(eventLoop: any EventLoop, shortestDeadline: Duration) {
        let interval = min(max(shortestDeadline / 4, .milliseconds(10)), .seconds(1))
        let pending = self.pending
        check = eventLoop.scheduleRepeatedTask(initialDelay: TimeAmount(interval), delay: TimeAmount(interval)) { _ in
            pending.expireOverdue()
        }
    }

    /// Starts the wait named `key` (one per reader) on `channel`, which expires after `limit`.
    func startWaiting(_ key: ObjectIdentifier, channel: any Channel, limit: Duration, then expiry: Expiry) {
        pending.waiting.withLock {
            $0[key] = Waiting(channel: channel, since: .now, limit: limit, expiry: expiry)
        }
    }

    /// Ends the wait named `key`.
    func stopWaiting(_ key: ObjectIdentifier) {
        _ = pending.waiting.withLock { $0.removeValue(forKey: key) }
    }

    /// Adds a deadline that its owner keeps itself: `check` is called on the event loop at every
    /// periodic check, with the time, until the watchdog stops.
    func addCheck(_ check: @escaping @Sendable (ContinuousClock.Instant) -> Void) {
        pending.checks.withLock { $0.append(check) }
    }

    /// Stops watching.
    func stop() {
        check.cancel()
        pending.checks.withLock { $0 = [] }
    }
}
