import COpenSSL

extension EVPKey {
    /// The smallest modulus, in bytes, that can hold a V1 signature block: the 128 hex characters
    /// of the digest plus 11 bytes of PKCS#1 type-1 padding.
    static let minimumV1ModulusBytes = SHA512.hexCount + 11

    /// V1: the PKCS#1 v1.5 type-1 private-key operation over the 128 hex characters of the
    /// SHA-512 digest, with no DigestInfo ("private encrypt").
    func signV1(hexDigest: [UInt8]) throws(MAuthError) -> [UInt8] {
        guard byteCount >= Self.minimumV1ModulusBytes else {
            throw MAuthError(
                .unableToSign,
                "V1 signing needs an RSA key of more than 1104 bits; this key has \(bits) bits (use V2 or a 2048-bit key)"
            )
        }
        guard let context = EVP_PKEY_CTX_new_from_pkey(nil, pointer, nil) else {
            throw MAuthError(.unableToSign, "could not create a signing context (\(OpenSSLErrorQueue.drain()))")
        }
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_sign_init(context) == 1, EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_PADDING) == 1 else {
            throw MAuthError(.unableToSign, "could not prepare V1 signing (\(OpenSSLErrorQueue.drain()))")
        }
        var failure: String?
        let signature = [UInt8](unsafeUninitializedCapacity: byteCount) { output, count in
            var length = output.count
            if EVP_PKEY_sign(context, output.baseAddress, &length, hexDigest, hexDigest.count) == 1 {
                count = length
            } else {
                failure = OpenSSLErrorQueue.drain()
                count = 0
            }
        }
        if let failure {
            throw MAuthError(.unableToSign, "V1 signing failed (\(failure))")
        }
        return signature
    }

    /// Checks a V1 signature: the recovered block must carry strict type-1 padding and the
    /// recovered payload must equal `hexDigest` byte for byte.
    func verifyV1(signature: [UInt8], hexDigest: [UInt8]) -> Bool {
        guard signature.count == byteCount, let context = EVP_PKEY_CTX_new_from_pkey(nil, pointer, nil) else {
            return false
        }
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_verify_recover_init(context) == 1,
            EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_PADDING) == 1
        else {
            _ = OpenSSLErrorQueue.drain()
            return false
        }
        let recovered = [UInt8](unsafeUninitializedCapacity: byteCount) { output, count in
            var length = output.count
            if EVP_PKEY_verify_recover(context, output.baseAddress, &length, signature, signature.count) == 1 {
                count = length
            } else {
                count = 0
            }
        }
        _ = OpenSSLErrorQueue.drain()
        return !recovered.isEmpty && recovered == hexDigest
    }

    /// V2: RSASSA-PKCS1-v1_5 with SHA-512 over `message`.
    func signV2(message: UnsafeRawBufferPointer) throws(MAuthError) -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else {
            throw MAuthError(.unableToSign, "could not create a signing context (\(OpenSSLErrorQueue.drain()))")
        }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestSignInit(context, nil, SHA512.algorithm.pointer, nil, pointer) == 1 else {
            throw MAuthError(.unableToSign, "could not prepare V2 signing (\(OpenSSLErrorQueue.drain()))")
        }
        var failure: String?
        let signature = [UInt8](unsafeUninitializedCapacity: byteCount) { output, count in
            var length = output.count
            let bytes = message.bindMemory(to: UInt8.self)
            if EVP_DigestSign(context, output.baseAddress, &length, bytes.baseAddress, bytes.count) == 1 {
                count = length
            } else {
                failure = OpenSSLErrorQueue.drain()
                count = 0
            }
        }
        if let failure {
            throw MAuthError(.unableToSign, "V2 signing failed (\(failure))")
        }
        return signature
    }

    /// Checks a V2 signature; the DigestInfo inside must name SHA-512.
    func verifyV2(signature: [UInt8], message: UnsafeRawBufferPointer) -> Bool {
        guard signature.count == byteCount, let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        let bytes = message.bindMemory(to: UInt8.self)
        let verified =
            EVP_DigestVerifyInit(context, nil, SHA512.algorithm.pointer, nil, pointer) == 1
            && EVP_DigestVerify(context, signature, signature.count, bytes.baseAddress, bytes.count) == 1
        if !verified { _ = OpenSSLErrorQueue.drain() }
        return verified
    }
}
