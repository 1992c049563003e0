import COpenSSL

/// An `EVP_MD` fetched from the default provider, kept for the life of the process.
///
/// `Sendable` because the pointer never changes and OpenSSL lets any thread use a fetched,
/// never-freed `EVP_MD`.
final class FetchedDigest: @unchecked Sendable {
    let pointer: OpaquePointer

    init(name: String) {
        guard let pointer = EVP_MD_fetch(nil, name, nil) else {
            preconditionFailure("OpenSSL has no \(name) digest: \(OpenSSLErrorQueue.drain())")
        }
        self.pointer = pointer
    }
}
