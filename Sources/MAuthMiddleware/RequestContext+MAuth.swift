public import HTTPPipeline
public import MAuth

extension RequestContext {
    /// The authenticated caller: app UUID and protocol version. Set by ``MAuthMiddleware`` (and
    /// ``FakeMAuthMiddleware``) for every request it lets through; `nil` on exempt paths.
    public var mauthIdentity: MAuthIdentity? {
        get { self[MAuthIdentityKey.self] }
        set { self[MAuthIdentityKey.self] = newValue }
    }
}
