import COpenSSL

/// Owns one OpenSSL `EVP_PKEY` and frees it exactly once.
///
/// OpenSSL allows concurrent read-only use of a key as long as every operation has its own
/// context, which is how every method here works (each borrows one from a ``ContextPool``); that
/// is what makes the wrapper `Sendable`.
final class EVPKey: @unchecked Sendable {
    let pointer: OpaquePointer
    /// The modulus size in bits.
    let bits: Int
    /// The modulus size in bytes, which is also the signature size.
    let byteCount: Int
    let signRawContexts: ContextPool
    let verifyRecoverRawContexts: ContextPool
    let signSHA512Contexts: ContextPool
    let verifySHA512Contexts: ContextPool

    init(taking pointer: OpaquePointer) {
        self.pointer = pointer
        self.bits = Int(EVP_PKEY_get_bits(pointer))
        self.byteCount = Int(EVP_PKEY_get_size(pointer))
        self.signRawContexts = ContextPool(key: pointer, operation: .signRaw)
        self.verifyRecoverRawContexts = ContextPool(key: pointer, operation: .verifyRecoverRaw)
        self.signSHA512Contexts = ContextPool(key: pointer, operation: .signSHA512)
        self.verifySHA512Contexts = ContextPool(key: pointer, operation: .verifySHA512)
    }

    deinit {
        EVP_PKEY_free(pointer)
    }

    var isRSA: Bool { EVP_PKEY_is_a(pointer, "RSA") == 1 }

    /// Generates a new RSA key of `bits` bits.
    static func generateRSA(bits: Int) throws(MAuthError) -> EVPKey {
        guard let context = EVP_PKEY_CTX_new_from_name(nil, "RSA", nil) else {
            throw MAuthError(.invalidKey, "could not create an RSA key generator (\(OpenSSLErrorQueue.drain()))")
        }
        defer { EVP_PKEY_CTX_free(context) }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen_init(context) == 1,
            EVP_PKEY_CTX_set_rsa_keygen_bits(context, Int32(bits)) == 1,
            EVP_PKEY_generate(context, &key) == 1, let key
        else {
            throw MAuthError(.invalidKey, "could not generate a \(bits)-bit RSA key (\(OpenSSLErrorQueue.drain()))")
        }
        return EVPKey(taking: key)
    }
}
