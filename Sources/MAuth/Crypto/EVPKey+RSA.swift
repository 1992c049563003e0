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
        return try sign(hexDigest, with: signRawContexts, version: "V1")
    }

    /// Checks a V1 signature: the recovered block must carry strict type-1 padding and the
    /// recovered payload must equal `hexDigest` byte for byte.
    func verifyV1(signature: [UInt8], hexDigest: [UInt8]) -> Bool {
        guard signature.count == byteCount else { return false }
        let matched = verifyRecoverRawContexts.withContext { context in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: byteCount) { recovered in
                var length = recovered.count
                let succeeded =
                    EVP_PKEY_verify_recover(context, recovered.baseAddress, &length, signature, signature.count) == 1
                return (succeeded && hexDigest.elementsEqual(recovered.prefix(length)), succeeded)
            }
        }
        if matched != true { _ = OpenSSLErrorQueue.drain() }
        return matched == true
    }

    /// What a signature carries inside its PKCS#1 type-1 padding: the V1 hex digest, or the V2
    /// DigestInfo. `nil` when the padding does not open with this key, so the signature was made
    /// with another key.
    func recoverSignedPayload(signature: [UInt8]) -> [UInt8]? {
        guard signature.count == byteCount else { return nil }
        let payload = verifyRecoverRawContexts.withContext { context in
            var succeeded = false
            let payload = [UInt8](unsharedCapacity: byteCount) { output, count in
                var length = output.count
                succeeded =
                    EVP_PKEY_verify_recover(context, output.baseAddress, &length, signature, signature.count) == 1
                count = succeeded ? length : 0
            }
            return (succeeded ? payload : nil, succeeded)
        }
        guard let payload = payload ?? nil else {
            _ = OpenSSLErrorQueue.drain()
            return nil
        }
        return payload
    }

    /// V2: RSASSA-PKCS1-v1_5 with SHA-512 over `message`.
    func signV2(message: UnsafeRawBufferPointer) throws(MAuthError) -> [UInt8] {
        try sign(SHA512.digest(message), with: signSHA512Contexts, version: "V2")
    }

    /// Checks a V2 signature; the DigestInfo inside must name SHA-512.
    func verifyV2(signature: [UInt8], message: UnsafeRawBufferPointer) -> Bool {
        guard signature.count == byteCount else { return false }
        let digest = SHA512.digest(message)
        let verified = verifySHA512Contexts.withContext { context in
            let succeeded = EVP_PKEY_verify(context, signature, signature.count, digest, digest.count) == 1
            return (succeeded, succeeded)
        }
        if verified != true { _ = OpenSSLErrorQueue.drain() }
        return verified == true
    }

    private func sign(_ input: [UInt8], with contexts: ContextPool, version: String) throws(MAuthError) -> [UInt8] {
        let signature = contexts.withContext { context in
            var succeeded = false
            let signature = [UInt8](unsharedCapacity: byteCount) { output, count in
                var length = output.count
                succeeded = EVP_PKEY_sign(context, output.baseAddress, &length, input, input.count) == 1
                count = succeeded ? length : 0
            }
            return (signature, succeeded)
        }
        guard let signature, !signature.isEmpty else {
            throw MAuthError(.unableToSign, "\(version) signing failed (\(OpenSSLErrorQueue.drain()))")
        }
        return signature
    }
}
