#if HummingbirdSupport
    public import Hummingbird
    public import MAuth
    public import MAuthIntegration

    extension MAuthRequestContext {
        /// The authenticated caller, for a route that serves only signed requests.
        ///
        /// ```swift
        /// router.get("/") { _, context in try context.requireMAuthIdentity().appUUID }
        /// ```
        ///
        /// - Returns: the caller ``MAuthHummingbirdMiddleware`` authenticated.
        /// - Throws: `MAuthIdentityRequired`, which Hummingbird answers with a 401 and MAuth's JSON
        ///   body, when the request has no authenticated caller (an exempt route, or an unsigned
        ///   request where authentication is optional).
        public func requireMAuthIdentity() throws(MAuthIdentityRequired) -> MAuthIdentity {
            guard let identity = mauthIdentity else { throw MAuthIdentityRequired() }
            return identity
        }
    }

    extension MAuthIdentityRequired: Hummingbird.HTTPResponseError {
        /// The 401 with MAuth's JSON body, as Hummingbird sends it.
        public func response(from request: Request, context: some RequestContext) throws -> Response {
            Response(mauthStatus: status, body: body)
        }
    }
#endif
