/// Checks one signature; the last step of authentication (PROTOCOL.md §6.1).
///
/// ``MAuthAuthenticator`` checks the time, the token and the header's form, then hands the
/// signature to its verifier. The local verifier (made by
/// ``MAuthAuthenticator/init(keyProvider:options:logger:metricsFactory:)``) fetches the signer's
/// public key and checks the signature itself; a remote verifier asks a MAuth service.
public protocol MAuthSignatureVerifier: Sendable {
    /// Returns when the signature is valid; throws an ``MAuthError`` that is
    /// ``MAuthError/Code-swift.struct/inauthentic`` when it is not, or
    /// ``MAuthError/Code-swift.struct/unableToAuthenticate`` when that cannot be determined.
    func verify(_ check: MAuthSignatureCheck) async throws(MAuthError)

    /// Whether ``verify(_:)`` can check a signature from the digest of a streamed body
    /// (``MAuthBodyDigest``) instead of its bytes; `false` unless a verifier says otherwise. A
    /// MAuth service in remote mode needs the body itself.
    var verifiesBodyDigests: Bool { get }
}

extension MAuthSignatureVerifier {
    /// `false`: the body's bytes are needed.
    public var verifiesBodyDigests: Bool { false }
}
