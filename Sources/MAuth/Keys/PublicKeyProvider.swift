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
public protocol PublicKeyProvider: Sendable {
    /// The public key registered for `appUUID`, or `nil` when the app is unknown.
    func publicKey(forAppUUID appUUID: String) async throws -> MAuthPublicKey?
}
