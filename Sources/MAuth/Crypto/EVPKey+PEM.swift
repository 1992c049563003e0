import COpenSSL

extension EVPKey {
    /// `EVP_PKEY_KEYPAIR` and `EVP_PKEY_PUBLIC_KEY` are macros Swift cannot import; these are the
    /// selections they stand for.
    private static let keyPairSelection = Int32(
        OSSL_KEYMGMT_SELECT_PRIVATE_KEY | OSSL_KEYMGMT_SELECT_PUBLIC_KEY | OSSL_KEYMGMT_SELECT_DOMAIN_PARAMETERS
            | OSSL_KEYMGMT_SELECT_OTHER_PARAMETERS
    )
    private static let publicKeySelection = Int32(
        OSSL_KEYMGMT_SELECT_PUBLIC_KEY | OSSL_KEYMGMT_SELECT_DOMAIN_PARAMETERS | OSSL_KEYMGMT_SELECT_OTHER_PARAMETERS
    )

    /// Decodes a structurally valid PEM block into an RSA key.
    static func decode(_ document: PEMDocument, privateKey: Bool, kind: String) throws(MAuthError) -> EVPKey {
        // OpenSSL 3.0's decoder has been seen to fail a process's first decode ("unsupported")
        // and succeed on the same input right after, so a failure is retried.
        let key = try OpenSSLKeyCodec.serialized { () throws(MAuthError) -> OpaquePointer? in
            for _ in 0..<OpenSSLKeyCodec.decodeRetries {
                if let key = try attemptDecode(document, privateKey: privateKey) { return key }
                _ = OpenSSLErrorQueue.drain()
            }
            return try attemptDecode(document, privateKey: privateKey)
        }
        guard let key else {
            let detail = OpenSSLErrorQueue.drain()
            throw MAuthError(
                .invalidKey,
                "the \(kind) ('\(document.label)' block) is malformed or truncated and could not be decoded (\(detail))"
            )
        }
        let result = EVPKey(taking: key)
        guard result.isRSA else {
            throw MAuthError(.invalidKey, "the \(kind) is not an RSA key; MAuth needs RSA")
        }
        return result
    }

    private static func attemptDecode(_ document: PEMDocument, privateKey: Bool) throws(MAuthError) -> OpaquePointer? {
        var key: OpaquePointer?
        let selection = privateKey ? keyPairSelection : publicKeySelection
        let structure: String? =
            switch document.label {
            case "RSA PRIVATE KEY", "RSA PUBLIC KEY": "type-specific"
            case "PRIVATE KEY": "PrivateKeyInfo"
            case "PUBLIC KEY": "SubjectPublicKeyInfo"
            default: nil
            }
        guard let decoder = OSSL_DECODER_CTX_new_for_pkey(&key, "PEM", structure, nil, selection, nil, nil) else {
            throw MAuthError(.invalidKey, "could not create a key decoder (\(OpenSSLErrorQueue.drain()))")
        }
        defer { OSSL_DECODER_CTX_free(decoder) }
        let decoded = Array(document.text.utf8).withUnsafeBufferPointer { buffer -> Bool in
            var data: UnsafePointer<UInt8>? = buffer.baseAddress
            var length = buffer.count
            return OSSL_DECODER_from_data(decoder, &data, &length) == 1
        }
        guard decoded, let key else {
            if let key { EVP_PKEY_free(key) }
            return nil
        }
        return key
    }

    /// The key as PEM text: PKCS#1 (`RSA PRIVATE KEY`) for private keys, SubjectPublicKeyInfo
    /// (`PUBLIC KEY`) for public keys.
    func pem(privateKey: Bool) -> String {
        OpenSSLKeyCodec.serialized { encodePEM(privateKey: privateKey) }
    }

    private func encodePEM(privateKey: Bool) -> String {
        guard let bio = BIO_new(BIO_s_mem()) else {
            preconditionFailure("could not allocate a memory BIO: \(OpenSSLErrorQueue.drain())")
        }
        defer { BIO_free(bio) }
        let written =
            privateKey
            ? PEM_write_bio_PrivateKey_traditional(bio, pointer, nil, nil, 0, nil, nil)
            : PEM_write_bio_PUBKEY(bio, pointer)
        precondition(written == 1, "could not write a key as PEM: \(OpenSSLErrorQueue.drain())")
        let length = Int(BIO_ctrl_pending(bio))
        let bytes = [UInt8](unsharedCapacity: length) { buffer, count in
            count = Int(BIO_read(bio, buffer.baseAddress, Int32(length)))
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
