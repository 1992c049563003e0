public import Foundation
public import MAuth

/// Paths and keys shared by the test targets: the protocol test suite's identity and a second,
/// generated one.
public enum Fixtures {
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    public static let suiteDirectory = packageRoot.appendingPathComponent("Tests/Fixtures/mauth-protocol-test-suite")
    public static let keysDirectory = packageRoot.appendingPathComponent("Tests/Fixtures/keys")
    public static let privateKeyPath = suiteDirectory.appendingPathComponent("signing-params/rsa-key").path
    public static let publicKeyPath = suiteDirectory.appendingPathComponent("signing-params/rsa-key-pub").path

    /// The suite's app UUID and signing time.
    public static let appUUID = "836a454e-7f14-4192-8f5a-2a9d3d66f70c"
    public static let time: Int64 = 1_585_082_925

    public static let privateKeyPEM = try! String(contentsOfFile: privateKeyPath, encoding: .utf8)
    public static let publicKeyPEM = try! String(contentsOfFile: publicKeyPath, encoding: .utf8)
    public static let privateKey = try! MAuthPrivateKey(pem: privateKeyPEM)
    public static let publicKey = try! MAuthPublicKey(pem: publicKeyPEM)

    /// A second app, for tests that need two identities.
    public static let otherAppUUID = "2d5f1a3e-8c47-4b1d-9f0a-6e2b7c9d4f10"
    public static let otherPrivateKey = try! MAuthPrivateKey.generate()

    /// A signer for the suite's app with the clock frozen at `time`.
    public static func signer(versions: [MAuthProtocolVersion], time: Int64 = time, appUUID: String = appUUID)
        -> MAuthSigner
    {
        try! MAuthSigner(appUUID: appUUID, privateKey: privateKey, versions: versions, clock: .fixed(time))
    }

    /// An authenticator that knows both apps, with the clock frozen at `now`.
    public static func authenticator(
        now: Int64 = time,
        v2Only: Bool = false,
        fallbackToV1: Bool = true,
        acceptsClientVariants: Bool = true
    ) -> MAuthAuthenticator {
        MAuthAuthenticator(
            keyProvider: InMemoryPublicKeyProvider([
                appUUID: publicKey, otherAppUUID: otherPrivateKey.publicKey,
            ]),
            options: .init(
                v2Only: v2Only,
                fallbackToV1: fallbackToV1,
                acceptsClientVariants: acceptsClientVariants,
                clock: .fixed(now)
            )
        )
    }
}
