#if VaporSupport
    import HTTPTypes
    public import MAuth
    public import MAuthMiddleware
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
    /// The body is collected up to the limit (413 beyond) and stays on the request, so the route reads
    /// it as usual. A failure answers what ``/MAuthMiddleware/MAuthMiddleware`` answers: 401 or 500
    /// with `{"errors":{"mauth":[…]}}` (see ``/MAuthMiddleware/MAuthGate``).
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
        ///   - errorMessages: how failures are worded.
        public init(
            authenticator: MAuthAuthenticator,
            exemptPaths: ExemptPaths = [],
            maxBodySize: Int? = nil,
            errorMessages: MAuthGate.ErrorMessages = .detailed
        ) {
            self.gate = MAuthGate(
                authenticator: authenticator, exemptPaths: exemptPaths,
                maxBodySize: maxBodySize ?? MAuthGate.defaultMaxBodySize, errorMessages: errorMessages)
            self.maxBodySize = maxBodySize
        }

        /// Authenticates `request` and passes it on with the caller logged in as a
        /// `MAuthIdentity` (`request.auth`), or answers the failure itself.
        ///
        /// An exempt path goes to `next` untouched. Otherwise the body is collected, up to the
        /// body limit, and stays on the request for the route.
        ///
        /// - Parameters:
        ///   - request: the request as Vapor rebuilt it (see the type's note on rewritten targets).
        ///   - next: the rest of the responder chain.
        /// - Returns: the route's response, or a 401, 413 or 500 with a JSON body.
        /// - Throws: whatever `next` throws; authentication failures are answered, not thrown.
        public func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
            let path = request.url.path
            if gate.isExempt(rawPath: path) {
                return try await next.respond(to: request)
            }
            let gate = MAuthGate(
                authenticator: self.gate.authenticator, exemptPaths: self.gate.exemptPaths,
                maxBodySize: maxBodySize ?? request.application.routes.defaultMaxBodySize.value,
                errorMessages: self.gate.errorMessages)
            let headers = HTTPFields(request.headers, splitCookie: false)
            if let rejection = gate.rejectionOfDeclaredLength(in: headers) {
                return Self.response(rejection)
            }
            let body: ByteBuffer
            do {
                // Vapor refuses a body of exactly `max` bytes, hence the one more. A body collected
                // before (as Vapor's in-memory tester does) comes back unchecked, so the size is
                // checked here as well.
                let vaporLimit = gate.maxBodySize == .max ? nil : gate.maxBodySize + 1
                body = try await request.body.collect(max: vaporLimit).get() ?? ByteBuffer()
            } catch let error as any AbortError where error.status == .payloadTooLarge {
                return Self.response(gate.bodyTooLarge)
            }
            guard body.readableBytes <= gate.maxBodySize else {
                return Self.response(gate.bodyTooLarge)
            }
            let query = request.url.query ?? ""
            let outcome = await gate.authenticate(
                method: request.method.rawValue,
                target: MAuthRequestTarget(path: path, query: query),
                headers: headers,
                body: body.readableBytesView,
                logger: request.logger
            )
            switch outcome {
            case .success(let identity):
                request.auth.login(identity)
                return try await next.respond(to: request)
            case .failure(let rejection):
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
