public import BodySpool
public import HTTPPipeline
import HTTPTypes
import Logging
public import MAuth
public import MAuthIntegration
import NIOCore

/// Authenticates every request with MAuth before it reaches the handler.
///
/// ```swift
/// let pipeline = Pipeline(
///     MAuthMiddleware(authenticator: authenticator, exemptPaths: ["/app_status"]),
///     handler: router
/// )
/// // in a handler:
/// let caller = try context.requireMAuthIdentity().appUUID
/// ```
///
/// - Exempt paths pass through untouched (see ``/MAuthIntegration/ExemptPaths`` for how they are
///   matched), and so, when authentication is optional, do requests without any MAuth header: the
///   handler finds no identity and decides.
/// - Otherwise the body is read as it streams, up to `maxBodySize` bytes, into the spool (memory up
///   to its threshold, then an unlinked temporary file), its signature's digests computed as it
///   arrives, and the request authenticated against its raw path and query. Only then is the body
///   handed on, so the handler reads it and nothing unauthenticated reaches the handler.
/// - Success stores the caller's ``/MAuth/MAuthIdentity`` in the context
///   (``HTTPPipeline/RequestContext/mauthIdentity``).
/// - Failure answers `application/json` `{"errors":{"mauth":["<message>"]}}`: 401 when the
///   request is inauthentic or unsigned, with the reason; 500 when authenticity cannot be
///   determined, with `Could not determine request authenticity` only (the reason is logged). A
///   body over the limit answers 413 without reading past the limit; a body the spool cannot
///   store (a full disk) answers 503.
public struct MAuthMiddleware: Middleware {
    /// The default limit on request bodies: 10 MiB.
    public static let defaultMaxBodySize = MAuthGate.defaultMaxBodySize

    let gate: MAuthGate

    /// Creates the middleware.
    ///
    /// - Parameters:
    ///   - authenticator: checks the signatures.
    ///   - exemptPaths: paths that skip authentication, such as `/app_status`.
    ///   - maxBodySize: the largest body read for authentication; larger bodies answer 413.
    ///     `Int.max` turns the limit off without memory following the body.
    ///   - errorMessages: how failures are worded.
    ///   - spool: where bodies wait while they are authenticated.
    ///   - requirement: whether a request must be signed; with `.optional`, one without any MAuth
    ///     header reaches the handler with no `context.mauthIdentity`.
    public init(
        authenticator: MAuthAuthenticator,
        exemptPaths: ExemptPaths = [],
        maxBodySize: Int = defaultMaxBodySize,
        errorMessages: MAuthGate.ErrorMessages = .detailed,
        spool: BodySpool = .standard,
        requirement: MAuthGate.Requirement = .required
    ) {
        self.gate = MAuthGate(
            authenticator: authenticator, exemptPaths: exemptPaths, maxBodySize: maxBodySize,
            errorMessages: errorMessages, spool: spool, requirement: requirement)
    }

    /// Authenticates `request` and passes it to `next` with the caller in `context.mauthIdentity`,
    /// or answers the failure itself.
    ///
    /// An exempt path goes to `next` untouched. Otherwise the body is read up to `maxBodySize`
    /// bytes into the spool, the request authenticated against the path and query `next` will
    /// see, and the body handed on in the request: as one buffer when it stayed in memory, else
    /// read back from its spool file as the handler reads it.
    ///
    /// - Parameters:
    ///   - request: the request; its `path` is the raw target as received.
    ///   - context: the request's context; the identity is set on the copy handed to `next`.
    ///   - next: the rest of the pipeline.
    /// - Returns: `next`'s response, or a 401, 413, 500 or 503 (and a server's 400 or 408) with a
    ///   JSON body.
    /// - Throws: whatever `next` throws; authentication failures are answered, not thrown.
    public func handle(_ request: Request, context: RequestContext, next: any Handler) async throws -> Response {
        let decision: MAuthGate.Decision
        do {
            decision = try await gate.decide(
                method: request.head.method.rawValue,
                // Split as the pipeline splits it for routing, so that what is authenticated is
                // what is served.
                target: MAuthRequestTarget(request.target),
                headers: request.head.headerFields,
                body: request.body,
                logger: context.logger
            )
        } catch let error as HTTPError {
            // The server's 400 for a broken body, or 408 from its body deadlines.
            return error.response
        }
        switch decision {
        case .pass:
            return try await next.handle(request, context: context)
        case .authenticated(let identity, let body):
            var context = context
            context.mauthIdentity = identity
            var authenticated = request
            authenticated.body = body.memoryBuffer.map(RequestBody.init(buffer:)) ?? RequestBody(spooled: body)
            return try await next.handle(authenticated, context: context)
        case .rejected(let rejection):
            return rejection.response
        }
    }
}
