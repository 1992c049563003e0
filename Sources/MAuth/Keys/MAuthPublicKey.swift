import COpenSSL

/// An RSA public key that checks MAuth signatures.
///
/// Reads PEM SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`, what the MAuth service returns)
/// and PKCS#1 (`-----BEGIN RSA PUBLIC KEY-----`). Immutable and safe to share between tasks. Two
/// keys are equal when they hold the same key, whatever PEM form each was read from.
public struct MAuthPublicKey: Sendable, Equatable {
    let key: EVPKey

    init(key: EVPKey) {
        self.key = key
    }

    /// Reads a public key from PEM text.
    ///
    /// - Throws: ``MAuthError`` with code ``MAuthError/Code-swift.struct/invalidKey`` naming the
    ///   problem.
    public init(pem: String) throws(MAuthError) {
        let kind = "public key"
        let document = try PEMDocument(parsing: pem, expecting: kind)
        switch document.label {
        case "PUBLIC KEY", "RSA PUBLIC KEY":
            self.key = try EVPKey.decode(document, privateKey: false, kind: kind)
        case "RSA PRIVATE KEY", "PRIVATE KEY", "ENCRYPTED PRIVATE KEY":
            throw MAuthError(
                .invalidKey,
                "expected a public key but found a private key ('\(document.label)'); never share a private key"
            )
        default:
            throw MAuthError(
                .invalidKey, "expected 'PUBLIC KEY' or 'RSA PUBLIC KEY' PEM text, found '\(document.label)'")
        }
    }

    /// Reads a public key from a PEM file.
    public init(contentsOfFile path: String) throws(MAuthError) {
        try self.init(pem: try KeyText.read(path, kind: "public key"))
    }

    /// Whether `signature` (Base64, as in the authentication header) is this key's signature of
    /// `stringToSign` under `version`.
    ///
    /// ``MAuthAuthenticator`` builds the string to sign and calls this; call it directly to check
    /// a signature made over bytes you already have.
    public func isValidSignature(_ signature: String, of stringToSign: [UInt8], version: MAuthProtocolVersion) -> Bool {
        guard let decoded = Base64.decode(signature) else { return false }
        return SignedMessage.verify(decoded, of: stringToSign, version: version, key: self)
    }

    /// The modulus size in bits.
    public var bits: Int { key.bits }

    /// The key as SubjectPublicKeyInfo PEM text (`-----BEGIN PUBLIC KEY-----`).
    public var pem: String { key.pem(privateKey: false) }

    /// Whether both hold the same key.
    public static func == (lhs: MAuthPublicKey, rhs: MAuthPublicKey) -> Bool {
        lhs.key === rhs.key || EVP_PKEY_eq(lhs.key.pointer, rhs.key.pointer) == 1
    }
}
