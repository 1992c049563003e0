#if HummingbirdSupport
    public import BodySpool
    public import Hummingbird
    public import MAuth
    public import MAuthIntegration
    import NIOCore

    /// Authenticates every request of a Hummingbird router with MAuth.
    ///
    /// ```swift
    /// let router = Router(context: BasicMAuthRequestContext.self)
    /// router.get("/app_status") { _, _ in "OK" }      // added before the middleware: not authenticated
    /// router.add(middleware: MAuthHummingbirdMiddleware(authenticator: authenticator))
    /// router.get("/") { _, context in try context.requireMAuthIdentity().appUUID }
    /// ```
    ///
    /// Routes added before the middleware, or outside the group it is added to, skip it: that is the
    /// idiomatic way to leave status routes unauthenticated. `exemptPaths` does the same by path.
    ///
    /// The request is authenticated against its raw path and query (Hummingbird does not decode
    /// them), with the body read as it streams, up to `maxBodySize` bytes, into the spool (memory up
    /// to its threshold, then a file without a name) while its signature's digests are computed;
    /// the route then reads the body from there, and only once the signature holds. A failure
    /// answers what `MAuthMiddleware` answers: 401 or 500 with
    /// `{"errors":{"mauth":[…]}}`, 413 for a body over the limit, 503 when the spool cannot store
    /// it (see ``/MAuthIntegration/MAuthGate``).
    public struct MAuthHummingbirdMiddleware<Context: MAuthRequestContext>: RouterMiddleware {
        /// The decisions the middleware applies.
        public let gate: MAuthGate

        /// Creates the middleware.
        ///
        /// - Parameters:
        ///   - authenticator: checks the signatures.
        ///   - exemptPaths: raw paths that skip authentication, such as `/app_status`.
        ///   - maxBodySize: the largest body read for authentication; larger bodies answer 413.
        ///   - errorMessages: how failures are worded.
        ///   - spool: where bodies wait while they are authenticated.
        ///   - requirement: whether a request must be signed; with `.optional`, one without any
        ///     MAuth header reaches the route with no `context.mauthIdentity`.
        public init(
            authenticator: MAuthAuthenticator,
            exemptPaths: ExemptPaths = [],
            maxBodySize: Int = MAuthGate.defaultMaxBodySize,
            errorMessages: MAuthGate.ErrorMessages = .detailed,
            spool: BodySpool = .standard,
            requirement: MAuthGate.Requirement = .required
        ) {
            self.gate = MAuthGate(
                authenticator: authenticator, exemptPaths: exemptPaths, maxBodySize: maxBodySize,
                errorMessages: errorMessages, spool: spool, requirement: requirement)
        }

        /// Authenticates `request` and passes it to `next` with the caller in
        /// `context.mauthIdentity`, or answers the failure itself.
        ///
        /// An exempt path goes to `next` untouched. Otherwise the body is read into the spool, up to
        /// ``gate``'s `maxBodySize`, and the request's body replaced by the spooled one for the
        /// route to read.
        ///
        /// - Parameters:
        ///   - request: the request as Hummingbird received it; its raw path and query are signed.
        ///   - context: the request's context; the identity is set on a copy handed to `next`.
        ///   - next: the rest of the router.
        /// - Returns: the route's response, or a 401, 413, 500 or 503 with a JSON body.
        /// - Throws: whatever `next` throws; authentication failures are answered, not thrown.
        public func handle(
            _ request: Request, context: Context, next: @concurrent (Request, Context) async throws -> Response
        ) async throws -> Response {
            let decision = try await gate.decide(
                method: request.method.rawValue,
                target: MAuthRequestTarget(path: request.uri.path, query: request.uri.query ?? ""),
                headers: request.headers,
                body: request.body,
                logger: context.logger
            )
            switch decision {
            case .pass:
                return try await next(request, context)
            case .authenticated(let identity, let body):
                var context = context
                context.mauthIdentity = identity
                var request = request
                request.body =
                    body.memoryBuffer.map(RequestBody.init(buffer:)) ?? RequestBody(asyncSequence: body.chunks())
                return try await next(request, context)
            case .rejected(let rejection):
                return Self.response(rejection)
            }
        }

        static func response(_ rejection: MAuthRejection) -> Response {
            Response(mauthStatus: rejection.status, body: rejection.body)
        }
    }

    extension Response {
        /// A MAuth answer: `status`, with its JSON document as the body.
        init(mauthStatus status: HTTPResponse.Status, body: String) {
            self.init(
                status: status,
                headers: [.contentType: MAuthRejection.contentType],
                body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
        }
    }
#endif
