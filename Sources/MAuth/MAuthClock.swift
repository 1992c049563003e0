#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The source of the current time: wall-clock seconds since the Unix epoch, and a monotonic
/// instant.
///
/// Signers stamp messages with the wall clock and authenticators check the drift window against
/// it; key caches measure lifetimes and grace periods on the monotonic instant. Tests freeze it
/// with ``fixed(_:)`` or move it by hand with a clock made by ``init(seconds:instant:)``.
public struct MAuthClock: Sendable {
    private let readSeconds: @Sendable () -> Int64
    private let readInstant: @Sendable () -> ContinuousClock.Instant

    /// Creates a clock from a function that returns seconds since the Unix epoch; its monotonic
    /// instant is `ContinuousClock`'s.
    public init(_ now: @escaping @Sendable () -> Int64) {
        self.init(seconds: now, instant: { .now })
    }

    /// Creates a clock from its two readings.
    ///
    /// - Parameters:
    ///   - seconds: the wall clock, in seconds since the Unix epoch.
    ///   - instant: the monotonic clock.
    public init(
        seconds: @escaping @Sendable () -> Int64, instant: @escaping @Sendable () -> ContinuousClock.Instant
    ) {
        self.readSeconds = seconds
        self.readInstant = instant
    }

    /// The current time, in seconds since the Unix epoch.
    public func now() -> Int64 { readSeconds() }

    /// The current monotonic instant.
    public func instant() -> ContinuousClock.Instant { readInstant() }

    /// The system's wall clock and `ContinuousClock`.
    public static let system = MAuthClock(seconds: { Int64(time(nil)) }, instant: { .now })

    /// A clock that always answers `seconds`.
    public static func fixed(_ seconds: Int64) -> MAuthClock { MAuthClock { seconds } }
}
