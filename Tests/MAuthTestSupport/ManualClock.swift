import Locking
public import MAuth

/// A clock that moves only when a test moves it, for caches and deadlines that would otherwise
/// make a test sleep.
public final class ManualClock: Sendable {
    private let origin = ContinuousClock.now
    private let originSeconds: Int64
    private let elapsed = Locked(Duration.zero)

    /// A clock that starts at `seconds` since the Unix epoch.
    public init(seconds: Int64 = Fixtures.time) {
        originSeconds = seconds
    }

    /// The clock to hand to the code under test.
    public var clock: MAuthClock {
        MAuthClock(
            seconds: { [self] in originSeconds + elapsed.withLock { $0.components.seconds } },
            instant: { [self] in origin.advanced(by: elapsed.withLock { $0 }) }
        )
    }

    /// Moves the clock forward by `duration`.
    public func advance(by duration: Duration) {
        elapsed.withLock { $0 += duration }
    }
}
