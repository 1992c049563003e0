import COpenSSL

/// SHA-512 through OpenSSL's EVP interface, with the algorithm fetched once per process.
enum SHA512 {
    static let byteCount = 64
    static let hexCount = 128

    /// Fetched once: an explicit fetch avoids OpenSSL's per-call implicit lookup.
    static let algorithm = FetchedDigest(name: "SHA512")

    /// The 64-byte SHA-512 digest of `bytes`.
    static func digest(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        [UInt8](unsharedCapacity: byteCount) { output, count in
            var size: UInt32 = 0
            let status = EVP_Digest(bytes.baseAddress, bytes.count, output.baseAddress, &size, algorithm.pointer, nil)
            precondition(status == 1 && size == byteCount, "SHA-512 failed: \(OpenSSLErrorQueue.drain())")
            count = byteCount
        }
    }

    /// The SHA-512 digest of `bytes` as 128 lower-case hexadecimal ASCII characters.
    /// The hex digest of no bytes: the body of most signed requests.
    private static let emptyHexDigest = computeHexDigest(UnsafeRawBufferPointer(start: nil, count: 0))

    static func hexDigest(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        bytes.isEmpty ? emptyHexDigest : computeHexDigest(bytes)
    }

    private static func computeHexDigest(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: byteCount) { digest in
            var size: UInt32 = 0
            let status = EVP_Digest(bytes.baseAddress, bytes.count, digest.baseAddress, &size, algorithm.pointer, nil)
            precondition(status == 1 && size == byteCount, "SHA-512 failed: \(OpenSSLErrorQueue.drain())")
            return Hex.encode(UnsafeBufferPointer(digest))
        }
    }

    static func hexDigest(of bytes: some Collection<UInt8>) -> [UInt8] {
        bytes.withContiguousBytes { hexDigest($0) }
    }
}

extension Collection<UInt8> {
    /// Calls `body` with the bytes as one contiguous buffer, copying only when the collection is
    /// not contiguous already.
    func withContiguousBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        if let result = try withContiguousStorageIfAvailable({ try body(UnsafeRawBufferPointer($0)) }) {
            return result
        }
        return try Array(self).withUnsafeBytes(body)
    }
}
