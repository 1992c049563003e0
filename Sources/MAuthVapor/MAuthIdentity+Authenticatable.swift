#if VaporSupport
    public import MAuth
    public import Vapor

    /// The caller of a request that ``MAuthVaporMiddleware`` authenticated:
    /// `try req.auth.require(MAuthIdentity.self)`.
    extension MAuthIdentity: Authenticatable {}
#endif
