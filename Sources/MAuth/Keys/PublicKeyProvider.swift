/// Supplies the public key of the app that signed a message.
///
/// An authenticator asks for the key of the app UUID named in the authentication header. The
/// three answers map onto the three outcomes of authentication:
///
/// - a key: the signature is checked with it;
/// - `nil`: the app is unknown, so the message is inauthentic (401);
/// - a thrown error: the key could not be obtained (service down, unusable key), so authenticity
///   cannot be determined (500). Throw an ``MAuthError`` with code
///   ``MAuthError/Code-swift.struct/inauthentic`` to report the app as unknown with your own
///   message instead.
///
/// Implementations are called concurrently and should cache what they fetch.
///
/// A provider that caches can also see a key change: when a signature fails to verify with the
/// key it gave, ``refreshedPublicKey(forAppUUID:replacing:)`` is asked for a newer one, so that an
/// app whose key was rotated is not refused until its cached key expires.
public protocol PublicKeyProvider: Sendable {
    /// The public key registered for `appUUID`, or `nil` when the app is unknown.
    func publicKey(forAppUUID appUUID: String) async throws -> MAuthPublicKey?

    /// A key of `appUUID` other than `rejectedKey`, looked up again at the source, or `nil` when
    /// the source still holds `rejectedKey`, knows no key, cannot be asked now, or was asked too
    /// recently.
    ///
    /// Called after a signature failed to verify with `rejectedKey`; the signature is checked
    /// again with the key returned. Forged requests call it as often as they come, so a provider
    /// that asks a remote source limits how often it does. The default returns `nil`.
    func refreshedPublicKey(forAppUUID appUUID: String, replacing rejectedKey: MAuthPublicKey) async
        -> MAuthPublicKey?
}

extension PublicKeyProvider {
    /// `nil`: keys are not looked up again.
    public func refreshedPublicKey(forAppUUID appUUID: String, replacing rejectedKey: MAuthPublicKey) async
        -> MAuthPublicKey?
    {
        nil
    }
}
