public import HTTPPipeline
import HTTPTypes
import Logging
public import MAuth
import NIOCore

/// Authenticates every request with MAuth before it reaches the handler.
///
/// ```swift
/// let pipeline = Pipeline(
///     MAuthMiddleware(authenticator: authenticator, exemptPaths: ["/app_status"]),
///     handler: router
/// )
/// // in a handler:
/// let caller = context.mauthIdentity!.appUUID
/// ```
///
/// - Exempt paths pass through untouched (see ``ExemptPaths`` for how they are matched).
/// - Otherwise the body is read, up to `maxBodySize` bytes, and the request authenticated against
///   its raw path and query. The body is then handed on, so the handler can still read it.
/// - Success stores the caller's ``/MAuth/MAuthIdentity`` in the context
///   (``HTTPPipeline/RequestContext/mauthIdentity``).
/// - Failure answers `application/json` `{"errors":{"mauth":["<message>"]}}`: 401 when the
///   request is inauthentic or unsigned, with the reason; 500 when authenticity cannot be
///   determined, with `Could not determine request authenticity` only (the reason is logged). A
///   body over the limit answers 413 without reading past the limit.
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
    ///   - errorMessages: how failures are worded.
    public init(
        authenticator: MAuthAuthenticator,
        exemptPaths: ExemptPaths = [],
        maxBodySize: Int = defaultMaxBodySize,
        errorMessages: MAuthGate.ErrorMessages = .detailed
    ) {
        self.gate = MAuthGate(
            authenticator: authenticator, exemptPaths: exemptPaths, maxBodySize: maxBodySize,
            errorMessages: errorMessages)
    }

    /// Authenticates `request` and passes it to `next` with the caller in `context.mauthIdentity`,
    /// or answers the failure itself.
    ///
    /// An exempt path goes to `next` untouched. Otherwise the body is read up to `maxBodySize`
    /// bytes, the request authenticated against the path and query `next` will see, and the read
    /// body handed on in the request.
    ///
    /// - Parameters:
    ///   - request: the request; its `path` is the raw target as received.
    ///   - context: the request's context; the identity is set on the copy handed to `next`.
    ///   - next: the rest of the pipeline.
    /// - Returns: `next`'s response, or a 401, 413 or 500 (and a server's 408) with a JSON body.
    /// - Throws: whatever `next` throws; authentication failures are answered, not thrown.
    public func handle(_ request: Request, context: RequestContext, next: any Handler) async throws -> Response {
        if gate.isExempt(rawPath: request.path) {
            return try await next.handle(request, context: context)
        }
        if let rejection = gate.rejectionOfDeclaredLength(in: request.head.headerFields) {
            return rejection.response
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: gate.maxBodySize)
        } catch let error as HTTPError {
            // 413 past the limit, or 408 from the server's body deadlines.
            return error.response
        }
        let outcome = await gate.authenticate(
            method: request.head.method.rawValue,
            // Split as the pipeline splits it for routing, so that what is authenticated is what
            // is served.
            target: MAuthRequestTarget(request.target),
            headers: request.head.headerFields,
            body: body.readableBytesView,
            logger: context.logger
        )
        switch outcome {
        case .success(let identity):
            var context = context
            context.mauthIdentity = identity
            var authenticated = request
            authenticated.body = RequestBody(buffer: body)
            return try await next.handle(authenticated, context: context)
        case .failure(let rejection):
            return rejection.response
        }
    }
}
