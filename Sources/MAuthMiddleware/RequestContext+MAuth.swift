public import HTTPPipeline
public import MAuth
public import MAuthIntegration

extension RequestContext {
    /// The authenticated caller: app UUID and protocol version. Set by ``MAuthMiddleware`` (and
    /// ``FakeMAuthMiddleware``) for every request it lets through; `nil` on exempt paths, and for
    /// an unsigned request when authentication is optional.
    public var mauthIdentity: MAuthIdentity? {
        get { self[MAuthIdentityKey.self] }
        set { self[MAuthIdentityKey.self] = newValue }
    }

    /// The authenticated caller, for a route that serves only signed requests.
    ///
    /// ```swift
    /// router.get("/") { _, context in .text(try context.requireMAuthIdentity().appUUID) }
    /// ```
    ///
    /// - Returns: the caller ``MAuthMiddleware`` authenticated.
    /// - Throws: ``/MAuthIntegration/MAuthIdentityRequired`` (a 401) when the request has no authenticated caller.
    public func requireMAuthIdentity() throws(MAuthIdentityRequired) -> MAuthIdentity {
        guard let identity = mauthIdentity else { throw MAuthIdentityRequired() }
        return identity
    }
}
