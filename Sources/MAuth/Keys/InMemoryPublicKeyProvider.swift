import Locking

/// Public keys held in memory, keyed by app UUID.
///
/// Useful for tests and for services that receive keys from their own configuration. Keys can be
/// added and removed while requests are being authenticated.
public final class InMemoryPublicKeyProvider: PublicKeyProvider {
    private let keys: Locked<[String: MAuthPublicKey]>

    /// Creates a provider holding `keys`.
    public init(_ keys: [String: MAuthPublicKey] = [:]) {
        self.keys = Locked(keys)
    }

    /// Registers or replaces the key of an app.
    public func register(_ key: MAuthPublicKey, forAppUUID appUUID: String) {
        keys.withLock { $0[appUUID] = key }
    }

    /// Forgets the key of an app.
    public func remove(appUUID: String) {
        keys.withLock { $0[appUUID] = nil }
    }

    public func publicKey(forAppUUID appUUID: String) async throws -> MAuthPublicKey? {
        keys.withLock { $0[appUUID] }
    }
}
