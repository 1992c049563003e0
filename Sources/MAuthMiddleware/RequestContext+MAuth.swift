public import HTTPPipeline
public import MAuth

/// Where ``MAuthMiddleware`` keeps the caller's identity.
enum MAuthIdentityKey: RequestContextKey {
    typealias Value = MAuthIdentity
}

extension RequestContext {
    /// The authenticated caller: app UUID and protocol version. Set by ``MAuthMiddleware`` (and
    /// ``FakeMAuthMiddleware``) for every request it lets through; `nil` on exempt paths.
    public var mauthIdentity: MAuthIdentity? {
        get { self[MAuthIdentityKey.self] }
        set { self[MAuthIdentityKey.self] = newValue }
    }
}
