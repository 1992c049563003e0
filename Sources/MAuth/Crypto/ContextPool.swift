import COpenSSL
import Foundation
import Locking

/// Ready-to-use `EVP_PKEY_CTX`s for one key and one operation.
///
/// Preparing a context (allocation, algorithm fetch, padding and digest setup) costs several
/// microseconds, a fifth of an RSA-2048 verification. A context serves one operation at a time, so
/// each call borrows one from the pool and returns it afterwards; the pool grows to the number of
/// concurrent callers, keeping at most ``maximumIdle``.
///
/// `Sendable` because the idle contexts are touched only inside `idle`'s lock, and a borrowed one
/// only by its borrower.
final class ContextPool: @unchecked Sendable {
    enum Operation {
        /// V1 signing: raw PKCS#1 type-1 padding, no digest.
        case signRaw
        /// V1 verification: recovers the padded payload.
        case verifyRecoverRaw
        /// V2 signing of a SHA-512 digest: PKCS#1 v1.5 with DigestInfo.
        case signSHA512
        /// V2 verification of a SHA-512 digest.
        case verifySHA512
    }

    static let maximumIdle = 64

    private let key: OpaquePointer
    private let operation: Operation
    /// Contexts ready for a borrower.
    private let idle = Locked<[OpaquePointer]>([])

    init(key: OpaquePointer, operation: Operation) {
        self.key = key
        self.operation = operation
    }

    deinit {
        for context in idle.withLock({ $0 }) {
            EVP_PKEY_CTX_free(context)
        }
    }

    /// Runs `body` with a prepared context. A context whose operation failed is discarded rather
    /// than reused. Returns `nil` when no context can be prepared.
    func withContext<Result>(_ body: (OpaquePointer) -> (result: Result, succeeded: Bool)) -> Result? {
        guard let context = idle.withLock({ $0.popLast() }) ?? makeContext() else { return nil }
        let outcome = body(context)
        if outcome.succeeded {
            let kept = idle.withLock { idle in
                guard idle.count < Self.maximumIdle else { return false }
                idle.append(context)
                return true
            }
            if !kept { EVP_PKEY_CTX_free(context) }
        } else {
            EVP_PKEY_CTX_free(context)
        }
        return outcome.result
    }

    private func makeContext() -> OpaquePointer? {
        guard let context = EVP_PKEY_CTX_new_from_pkey(nil, key, nil) else { return nil }
        let prepared: Bool
        switch operation {
        case .signRaw:
            prepared =
                EVP_PKEY_sign_init(context) == 1 && EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_PADDING) == 1
        case .verifyRecoverRaw:
            prepared =
                EVP_PKEY_verify_recover_init(context) == 1
                && EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_PADDING) == 1
        case .signSHA512:
            prepared =
                EVP_PKEY_sign_init(context) == 1 && EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_PADDING) == 1
                && EVP_PKEY_CTX_set_signature_md(context, SHA512.algorithm.pointer) == 1
        case .verifySHA512:
            prepared =
                EVP_PKEY_verify_init(context) == 1 && EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_PADDING) == 1
                && EVP_PKEY_CTX_set_signature_md(context, SHA512.algorithm.pointer) == 1
        }
        guard prepared else {
            EVP_PKEY_CTX_free(context)
            return nil
        }
        return context
    }
}
