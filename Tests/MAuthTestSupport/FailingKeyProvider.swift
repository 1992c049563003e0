public import MAuth

/// A key store that cannot answer, as when the MAuth service is down: authenticity cannot be
/// determined.
public struct FailingKeyProvider: PublicKeyProvider {
    public init() {}

    public func publicKey(forAppUUID appUUID: String) async throws -> MAuthPublicKey? {
        throw MAuthError(.unableToAuthenticate, "the key store is down")
    }
}
