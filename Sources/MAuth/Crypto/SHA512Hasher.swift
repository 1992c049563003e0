import COpenSSL

/// SHA-512 computed over bytes that arrive in pieces.
///
/// Owns its OpenSSL context, which it frees exactly once; one owner feeds it at a time.
final class SHA512Hasher {
    private let context: OpaquePointer

    init() {
        guard let context = EVP_MD_CTX_new() else {
            preconditionFailure("OpenSSL could not allocate a digest context: \(OpenSSLErrorQueue.drain())")
        }
        let status = EVP_DigestInit_ex2(context, SHA512.algorithm.pointer, nil)
        precondition(status == 1, "SHA-512 failed to start: \(OpenSSLErrorQueue.drain())")
        self.context = context
    }

    deinit {
        EVP_MD_CTX_free(context)
    }

    func update(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        let status = EVP_DigestUpdate(context, bytes.baseAddress, bytes.count)
        precondition(status == 1, "SHA-512 failed: \(OpenSSLErrorQueue.drain())")
    }

    func update(_ bytes: some Collection<UInt8>) {
        bytes.withContiguousBytes { update($0) }
    }

    /// The digest of everything fed so far, as 128 lower-case hexadecimal ASCII characters; the
    /// hasher takes nothing more.
    func finishHex() -> [UInt8] {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: SHA512.byteCount) { digest in
            var size: UInt32 = 0
            let status = EVP_DigestFinal_ex(context, digest.baseAddress, &size)
            precondition(status == 1 && size == SHA512.byteCount, "SHA-512 failed: \(OpenSSLErrorQueue.drain())")
            return Hex.encode(UnsafeBufferPointer(digest))
        }
    }
}
