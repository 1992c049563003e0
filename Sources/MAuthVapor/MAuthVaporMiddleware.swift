#if VaporSupport
    public import BodySpool
    import HTTPTypes
    public import MAuth
    public import MAuthIntegration
    import NIOHTTPTypesHTTP1
    public import Vapor

    /// Authenticates every request of a Vapor application, or of a route group, with MAuth.
    ///
    /// ```swift
    /// app.get("app_status") { _ in "OK" }              // outside the group: not authenticated
    /// let signed = app.grouped(MAuthVaporMiddleware(authenticator: authenticator))
    /// signed.get { req in try req.auth.require(MAuthIdentity.self).appUUID }
    /// ```
    ///
    /// The body is authenticated as it streams in: it stays in memory up to the spool's threshold and
    /// goes to a temporary file beyond it, so a request whose signature fails costs no more memory
    /// than that, whatever its size. Bodies over the limit answer 413. Once the signature holds, the
    /// body reaches the route as ``RouteBody`` says: in `req.body` as usual (read back into memory),
    /// or, for bodies of any size at constant memory, in ``Vapor/Request/mauthBody``. A failure
    /// answers what `MAuthMiddleware` answers: 401, 500 or 503 with
    /// `{"errors":{"mauth":[…]}}` (see ``/MAuthIntegration/MAuthGate``).
    ///
    /// Vapor rebuilds the request target before any middleware sees it: a leading `//` becomes `/`,
    /// `%3B` in the path becomes `;`, raw non-ASCII bytes and invalid escapes are percent-encoded. The
    /// request is authenticated against the path and query Vapor routes on, so a client that signed
    /// such a path as sent is rejected; the rejection's log line says so when the target shows it.
    public struct MAuthVaporMiddleware: AsyncMiddleware {
        /// The authenticator, the exempt paths and the wording of failures.
        public let gate: MAuthGate
        /// The largest body read for authentication; `nil` for the application's
        /// `routes.defaultMaxBodySize`.
        public let maxBodySize: Int?
        /// Where the route finds an authenticated body.
        public let routeBody: RouteBody

        /// Where the route finds a body the middleware authenticated.
        ///
        /// Vapor offers no public way to hand a route a streamed body other than its own, which the
        /// middleware has read; the choice is between Vapor's usual place and the spool.
        public enum RouteBody: Sendable {
            /// In `req.body`, collected, as Vapor hands it over: the route reads it as usual. A body
            /// that went to the spool's file is read back into memory once its signature holds.
            case inRequest
            /// In ``Vapor/Request/mauthBody``, read from the spool as the route asks for it, so memory
            /// stays bounded whatever the body's size; `req.body` is left empty. Use it with a
            /// `maxBodySize` of any size, up to `Int.max`, for uploads.
            case spooled
        }

        /// Creates the middleware.
        ///
        /// - Parameters:
        ///   - authenticator: checks the signatures.
        ///   - exemptPaths: paths that skip authentication, such as `/app_status`, as Vapor presents
        ///     them.
        ///   - maxBodySize: the largest body read for authentication; larger bodies answer 413. By
        ///     default, the application's `routes.defaultMaxBodySize`. Once the middleware has read a
        ///     body, a route's own `body: .collect(maxSize:)` no longer applies, so give here the
        ///     largest body any route of the group takes.
        ///   - routeBody: where the route finds the authenticated body; in `req.body` unless given.
        ///   - spool: where bodies wait while they are authenticated; ``/BodySpool/BodySpool/standard``
        ///     unless given.
        ///   - errorMessages: how failures are worded.
        ///   - requirement: whether a request must be signed; with `.optional`, one without any
        ///     MAuth header reaches the route with no `MAuthIdentity` logged in.
        public init(
            authenticator: MAuthAuthenticator,
            exemptPaths: ExemptPaths = [],
            maxBodySize: Int? = nil,
            routeBody: RouteBody = .inRequest,
            spool: BodySpool = .standard,
            errorMessages: MAuthGate.ErrorMessages = .detailed,
            requirement: MAuthGate.Requirement = .required
        ) {
            self.gate = MAuthGate(
                authenticator: authenticator, exemptPaths: exemptPaths,
                maxBodySize: maxBodySize ?? MAuthGate.defaultMaxBodySize, errorMessages: errorMessages, spool: spool,
                requirement: requirement)
            self.maxBodySize = maxBodySize
            self.routeBody = routeBody
        }

        /// Authenticates `request` and passes it on with the caller logged in as a
        /// `MAuthIdentity` (`request.auth`), or answers the failure itself.
        ///
        /// An exempt path goes to `next` untouched. Otherwise the body is read as it streams, up to
        /// the body limit, and handed to the route as ``routeBody`` says once the signature holds.
        ///
        /// - Parameters:
        ///   - request: the request as Vapor rebuilt it (see the type's note on rewritten targets).
        ///   - next: the rest of the responder chain.
        /// - Returns: the route's response, or a 401, 413, 500 or 503 with a JSON body.
        /// - Throws: whatever `next` throws, and what reading the body throws (a client gone);
        ///   authentication failures are answered, not thrown.
        public func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
            let path = request.url.path
            let headers = HTTPFields(request.headers, splitCookie: false)
            let gate = MAuthGate(
                authenticator: self.gate.authenticator, exemptPaths: self.gate.exemptPaths,
                maxBodySize: maxBodySize ?? request.application.routes.defaultMaxBodySize.value,
                errorMessages: self.gate.errorMessages, spool: self.gate.spool, requirement: self.gate.requirement)
            let decision = try await gate.decide(
                method: request.method.rawValue,
                target: MAuthRequestTarget(path: path, query: request.url.query ?? ""),
                headers: headers,
                body: DrainedRequestBody(body: request.body, eventLoop: request.eventLoop),
                logger: request.logger
            )
            switch decision {
            case .pass:
                return try await next.respond(to: request)
            case .authenticated(let identity, let body):
                request.auth.login(identity)
                if let rejection = hand(body, to: request) {
                    return Self.response(rejection)
                }
                return try await next.respond(to: request)
            case .rejected(let rejection):
                if rejection.status == .unauthorized, Self.mayHaveBeenRewritten(path) {
                    request.logger.warning(
                        """
                        Vapor rewrote this request's path before authentication ('%3B' becomes ';', the '%' of an \
                        invalid escape becomes '%25'): a client that signed the path as sent is rejected
                        """,
                        metadata: ["http.path": "\(path)"])
                }
                return Self.response(rejection)
            }
        }

        /// Puts an authenticated body where ``routeBody`` says the route finds it; the rejection to
        /// answer if the spool cannot be read back.
        private func hand(_ body: SpooledBody, to request: Request) -> MAuthRejection? {
            do {
                switch routeBody {
                case .inRequest:
                    try request.replaceBody(with: body.memoryBuffer ?? body.readAll())
                case .spooled:
                    request.mauthBody = body
                    try request.replaceBody(with: ByteBuffer())
                }
                return nil
            } catch {
                request.logger.error(
                    "MAuth could not hand an authenticated body to the route", metadata: ["reason": "\(error)"])
                return .storageUnavailable
            }
        }

        /// Whether the path shows a trace of Vapor's rewriting: a `;` that may have been `%3B`, or a
        /// `%25` that may have been a lone `%`.
        static func mayHaveBeenRewritten(_ path: String) -> Bool {
            path.contains(";") || path.contains("%25")
        }

        static func response(_ rejection: MAuthRejection) -> Response {
            var headers = HTTPHeaders()
            headers.contentType = .json
            return Response(
                status: .init(statusCode: rejection.status.code), headers: headers, body: .init(string: rejection.body))
        }
    }
#endif
