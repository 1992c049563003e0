#if OpenAPISupport
    public import HTTPTypes
    public import MAuth
    public import MAuthIntegration
    public import OpenAPIRuntime

    extension MAuthIdentity {
        /// The caller of the request being handled, set by ``MAuthOpenAPIServerMiddleware`` for the
        /// generated handler it calls; `nil` elsewhere and on exempt operations.
        ///
        /// ```swift
        /// func getGreeting(_ input: Operations.GetGreeting.Input) async throws -> Operations.GetGreeting.Output {
        ///     let caller = MAuthIdentity.current?.appUUID
        ///     …
        /// }
        /// ```
        @TaskLocal public static var current: MAuthIdentity?

        /// The caller of the request being handled, for an operation that serves only signed
        /// requests.
        ///
        /// ```swift
        /// let caller = try MAuthIdentity.requireCurrent().appUUID
        /// ```
        ///
        /// - Returns: ``current``.
        /// - Throws: `MAuthIdentityRequired` when there is none (an exempt operation, or an unsigned
        ///   request where authentication is optional). ``MAuthOpenAPIServerMiddleware`` answers it
        ///   with a 401 and MAuth's JSON body; so does OpenAPIRuntime's `ErrorHandlingMiddleware`.
        public static func requireCurrent() throws(MAuthIdentityRequired) -> MAuthIdentity {
            guard let current else { throw MAuthIdentityRequired() }
            return current
        }
    }

    extension MAuthIdentityRequired: HTTPResponseConvertible {
        /// 401.
        public var httpStatus: HTTPResponse.Status { status }

        /// The JSON content type.
        public var httpHeaderFields: HTTPFields { [.contentType: MAuthRejection.contentType] }

        /// MAuth's JSON body.
        public var httpBody: HTTPBody? { HTTPBody(body) }
    }
#endif
