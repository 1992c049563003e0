#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The source of the current time, in whole seconds since the Unix epoch.
///
/// Signers stamp messages with it and authenticators check the drift window against it. Tests
/// freeze it with ``fixed(_:)``.
public struct MAuthClock: Sendable {
    private let read: @Sendable () -> Int64

    /// Creates a clock from a function that returns seconds since the Unix epoch.
    public init(_ now: @escaping @Sendable () -> Int64) {
        self.read = now
    }

    /// The current time, in seconds since the Unix epoch.
    public func now() -> Int64 { read() }

    /// The system's wall clock.
    public static let system = MAuthClock { Int64(time(nil)) }

    /// A clock that always answers `seconds`.
    public static func fixed(_ seconds: Int64) -> MAuthClock { MAuthClock { seconds } }
}
