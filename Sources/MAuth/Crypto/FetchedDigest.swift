import COpenSSL

/// An `EVP_MD` fetched from the default provider, kept for the life of the process.
final class FetchedDigest: @unchecked Sendable {
    let pointer: OpaquePointer

    init(name: String) {
        guard let pointer = EVP_MD_fetch(nil, name, nil) else {
            preconditionFailure("OpenSSL has no \(name) digest: \(OpenSSLErrorQueue.drain())")
        }
        self.pointer = pointer
    }
}
