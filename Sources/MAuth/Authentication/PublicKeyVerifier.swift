/// Checks signatures with public keys from a ``PublicKeyProvider``.
struct PublicKeyVerifier: MAuthSignatureVerifier {
    let keyProvider: any PublicKeyProvider

    var verifiesBodyDigests: Bool { true }

    /// Checks the signature with the app's key; if it fails, with the newer key the provider may
    /// have for the app (a key rotated since it was cached).
    func verify(_ check: MAuthSignatureCheck) async throws(MAuthError) {
        let key = try await Self.publicKey(forAppUUID: check.appUUID, from: keyProvider)
        if Self.verifies(check, with: key) { return }
        if let newer = await keyProvider.refreshedPublicKey(forAppUUID: check.appUUID, replacing: key),
            Self.verifies(check, with: newer)
        {
            return
        }
        throw MAuthError(.inauthentic, "Signature verification failed for \(check.message.kind).")
    }

    private static func verifies(_ check: MAuthSignatureCheck, with key: MAuthPublicKey) -> Bool {
        check.message.verify(
            check.signature,
            version: check.version,
            key: key,
            appUUID: check.appUUID,
            time: check.time,
            variants: check.acceptsClientVariants
        )
    }

    /// The app's key, or the inauthentic error for an app with none, or the error that says why
    /// the provider could not answer.
    static func publicKey(forAppUUID appUUID: String, from keyProvider: any PublicKeyProvider) async throws(MAuthError)
        -> MAuthPublicKey
    {
        let key: MAuthPublicKey?
        do {
            key = try await keyProvider.publicKey(forAppUUID: appUUID)
        } catch let error as MAuthError {
            throw error
        } catch {
            throw MAuthError(.unableToAuthenticate, "Failed to fetch the public key for \(appUUID): \(error)")
        }
        guard let key else {
            throw MAuthError(.inauthentic, "No public key is registered for app \(appUUID).")
        }
        return key
    }
}
