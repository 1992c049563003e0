#if OpenAPISupport
    public import BodySpool
    public import HTTPTypes
    public import Logging
    public import MAuth
    public import MAuthIntegration
    import NIOCore
    public import OpenAPIRuntime

    /// Authenticates every request that reaches a generated OpenAPI server, on any transport.
    ///
    /// ```swift
    /// try api.registerHandlers(
    ///     on: router,
    ///     middlewares: [MAuthOpenAPIServerMiddleware(authenticator: authenticator, exemptOperationIDs: ["getStatus"])]
    /// )
    /// // in a handler:
    /// let caller = MAuthIdentity.current!.appUUID
    /// ```
    ///
    /// Operations are exempt by operation ID or by path. The body is read up to `maxBodySize` bytes
    /// (413 beyond) and handed on. The handler finds the caller in ``MAuth/MAuthIdentity/current``.
    /// A failure answers what `MAuthMiddleware` answers: 401 or 500 with
    /// `{"errors":{"mauth":[…]}}` (see ``/MAuthIntegration/MAuthGate``).
    public struct MAuthOpenAPIServerMiddleware: ServerMiddleware {
        /// The decisions the middleware applies.
        public let gate: MAuthGate
        /// Operations that skip authentication.
        public let exemptOperationIDs: Set<String>
        /// Where failures are logged.
        public let logger: Logger

        /// Creates the middleware.
        ///
        /// - Parameters:
        ///   - authenticator: checks the signatures.
        ///   - exemptOperationIDs: operations that skip authentication, such as a status check.
        ///   - exemptPaths: raw paths that skip authentication.
        ///   - maxBodySize: the largest body read for authentication; larger bodies answer 413.
        ///   - errorMessages: how failures are worded.
        ///   - logger: where failures are logged.
        ///   - spool: where bodies wait while they are authenticated.
        ///   - requirement: whether a request must be signed; with `.optional`, one without any
        ///     MAuth header reaches the handler with ``MAuth/MAuthIdentity/current`` `nil`.
        public init(
            authenticator: MAuthAuthenticator,
            exemptOperationIDs: Set<String> = [],
            exemptPaths: ExemptPaths = [],
            maxBodySize: Int = MAuthGate.defaultMaxBodySize,
            errorMessages: MAuthGate.ErrorMessages = .detailed,
            logger: Logger = Logger(label: "mauth.openapi"),
            spool: BodySpool = .standard,
            requirement: MAuthGate.Requirement = .required
        ) {
            self.gate = MAuthGate(
                authenticator: authenticator, exemptPaths: exemptPaths, maxBodySize: maxBodySize,
                errorMessages: errorMessages, spool: spool, requirement: requirement)
            self.exemptOperationIDs = exemptOperationIDs
            self.logger = logger
        }

        /// Authenticates `request` and runs the handler with the caller in
        /// ``MAuth/MAuthIdentity/current``, or answers the failure itself.
        ///
        /// An exempt operation or path goes to `next` untouched. Otherwise the body is read as it
        /// streams, up to the gate's `maxBodySize`, into the spool while its signature's digests are
        /// computed, and handed on, read back from the spool, once the signature holds.
        ///
        /// - Parameters:
        ///   - request: the request; its raw path and query are signed.
        ///   - body: the request body.
        ///   - metadata: the path parameters, passed on unchanged.
        ///   - operationID: the operation, checked against ``exemptOperationIDs``.
        ///   - next: the middlewares after this one and the handler.
        /// - Returns: `next`'s response, or a 401, 413, 500 or 503 with a JSON body.
        /// - Throws: whatever reading the body or `next` throws; authentication failures, and a
        ///   handler's ``MAuth/MAuthIdentity/requireCurrent()`` without a caller, are
        ///   answered, not thrown.
        public func intercept(
            _ request: HTTPRequest,
            body: HTTPBody?,
            metadata: ServerRequestMetadata,
            operationID: String,
            next:
                @concurrent @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (
                    HTTPResponse, HTTPBody?
                )
        ) async throws -> (HTTPResponse, HTTPBody?) {
            let decision: MAuthGate.Decision =
                if exemptOperationIDs.contains(operationID) {
                    .pass
                } else {
                    try await gate.decide(
                        method: request.method.rawValue, target: Self.target(of: request),
                        headers: request.headerFields, body: (body ?? HTTPBody()).map { ByteBuffer(bytes: $0) },
                        logger: logger)
                }
            switch decision {
            case .pass:
                return try await Self.answeringMissingIdentity { try await next(request, body, metadata) }
            case .authenticated(let identity, let spooled):
                let forwarded = body.map { _ in
                    HTTPBody(
                        spooled.chunks().map {
                            ArraySlice($0.getBytes(at: $0.readerIndex, length: $0.readableBytes) ?? [])
                        },
                        length: .known(Int64(spooled.byteCount)), iterationBehavior: .multiple)
                }
                return try await MAuthIdentity.$current.withValue(identity) {
                    try await Self.answeringMissingIdentity { try await next(request, forwarded, metadata) }
                }
            case .rejected(let rejection):
                return Self.answer(rejection)
            }
        }

        /// The path and query as the transports route them: split at the first `?` only. A `#` stays
        /// in the path, as in Hummingbird's router, so that it can neither hide part of a signed path
        /// nor make a path look exempt.
        static func target(of request: HTTPRequest) -> MAuthRequestTarget {
            MAuthRequestTarget(request.path ?? "/")
        }

        /// Runs the rest of the chain, and answers the 401 of a handler that called
        /// ``MAuth/MAuthIdentity/requireCurrent()`` without a caller, which the generated code
        /// reports wrapped in a `ServerError`.
        static func answeringMissingIdentity(
            _ next: () async throws -> (HTTPResponse, HTTPBody?)
        ) async throws -> (HTTPResponse, HTTPBody?) {
            do {
                return try await next()
            } catch let error as ServerError where error.underlyingError is MAuthIdentityRequired {
                let missing = MAuthIdentityRequired()
                return (
                    HTTPResponse(status: missing.httpStatus, headerFields: missing.httpHeaderFields), missing.httpBody
                )
            }
        }

        static func answer(_ rejection: MAuthRejection) -> (HTTPResponse, HTTPBody?) {
            (
                HTTPResponse(status: rejection.status, headerFields: [.contentType: MAuthRejection.contentType]),
                HTTPBody(rejection.body)
            )
        }
    }
#endif
