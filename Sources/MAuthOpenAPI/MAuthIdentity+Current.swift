#if OpenAPISupport
    public import MAuth

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
    }
#endif
