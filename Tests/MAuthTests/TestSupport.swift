import Foundation
import HTTPTypes

@testable import MAuth

/// Paths and keys shared by the tests.
enum Fixtures {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let suiteDirectory = packageRoot.appendingPathComponent("Tests/Fixtures/mauth-protocol-test-suite")
    static let appUUID = "836a454e-7f14-4192-8f5a-2a9d3d66f70c"
    static let time: Int64 = 1_585_082_925

    static let privateKeyPEM = try! String(
        contentsOf: suiteDirectory.appendingPathComponent("signing-params/rsa-key"),
        encoding: .utf8
    )
    static let publicKeyPEM = try! String(
        contentsOf: suiteDirectory.appendingPathComponent("signing-params/rsa-key-pub"),
        encoding: .utf8
    )
    static let privateKey = try! MAuthPrivateKey(pem: privateKeyPEM)
    static let publicKey = try! MAuthPublicKey(pem: publicKeyPEM)

    /// A second app, for tests that need two identities.
    static let otherAppUUID = "2d5f1a3e-8c47-4b1d-9f0a-6e2b7c9d4f10"
    static let otherPrivateKey = try! MAuthPrivateKey.generate()

    static func signer(versions: [MAuthVersion], time: Int64 = time, appUUID: String = appUUID) -> MAuthSigner {
        try! MAuthSigner(appUUID: appUUID, privateKey: privateKey, versions: versions, clock: .fixed(time))
    }

    static func authenticator(
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

extension String {
    /// The UTF-8 bytes of a string written with `\n` for LF.
    var bytes: [UInt8] { Array(utf8) }
}

extension Array where Element == UInt8 {
    var text: String { String(decoding: self, as: UTF8.self) }
}
