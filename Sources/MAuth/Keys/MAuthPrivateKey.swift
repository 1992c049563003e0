/// An RSA private key that signs MAuth messages.
///
/// Reads PEM PKCS#1 (`-----BEGIN RSA PRIVATE KEY-----`) and unencrypted PKCS#8
/// (`-----BEGIN PRIVATE KEY-----`). Keys squeezed onto one line by an environment variable are
/// repaired first. Immutable and safe to share between tasks.
public struct MAuthPrivateKey: Sendable {
    let key: EVPKey

    /// Reads a private key from PEM text.
    ///
    /// - Throws: ``MAuthError`` with code ``MAuthError/Code-swift.struct/invalidKey`` naming the
    ///   problem: not PEM, truncated, bad Base64, encrypted, not RSA, or a public key.
    public init(pem: String) throws(MAuthError) {
        let kind = "private key"
        let document = try PEMDocument(parsing: pem, expecting: kind)
        switch document.label {
        case "RSA PRIVATE KEY", "PRIVATE KEY":
            self.key = try EVPKey.decode(document, privateKey: true, kind: kind)
        case "ENCRYPTED PRIVATE KEY":
            throw MAuthError(.invalidKey, "the private key is encrypted; MAuth needs an unencrypted key")
        case "PUBLIC KEY", "RSA PUBLIC KEY":
            throw MAuthError(.invalidKey, "expected a private key but found a public key ('\(document.label)')")
        default:
            throw MAuthError(
                .invalidKey,
                "expected 'RSA PRIVATE KEY' or 'PRIVATE KEY' PEM text, found '\(document.label)'"
            )
        }
    }

    /// Reads a private key from a PEM file.
    public init(contentsOfFile path: String) throws(MAuthError) {
        try self.init(pem: try KeyText.read(path, kind: "private key"))
    }

    /// Generates a new RSA key pair.
    ///
    /// - Parameter bits: the modulus size; 2048 by default. V1 signatures need more than 1104.
    public static func generate(bits: Int = 2048) throws(MAuthError) -> MAuthPrivateKey {
        guard (1024...16384).contains(bits) else {
            throw MAuthError(.invalidKey, "key size must be between 1024 and 16384 bits, not \(bits)")
        }
        return MAuthPrivateKey(key: try EVPKey.generateRSA(bits: bits))
    }

    private init(key: EVPKey) {
        self.key = key
    }

    /// The matching public key.
    public var publicKey: MAuthPublicKey { MAuthPublicKey(key: key) }

    /// The modulus size in bits.
    public var bits: Int { key.bits }

    /// The key as PKCS#1 PEM text (`-----BEGIN RSA PRIVATE KEY-----`), the form every MAuth
    /// client reads.
    public var pem: String { key.pem(privateKey: true) }
}
