import HTTPPipeline
import MAuth

/// Where ``MAuthMiddleware`` keeps the caller's identity.
enum MAuthIdentityKey: RequestContextKey {
    typealias Value = MAuthIdentity
}
