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
/// - Success stores the caller's ``MAuth/MAuthIdentity`` in the context
///   (``HTTPPipeline/RequestContext/mauthIdentity``).
/// - Failure answers `application/json` `{"errors":{"mauth":["<message>"]}}`: 401 when the
///   request is inauthentic or unsigned, with the reason; 500 when authenticity cannot be
///   determined, with `Could not determine request authenticity` only (the reason is logged). A
///   body over the limit answers 413 without reading past the limit.
public struct MAuthMiddleware: Middleware {
    /// How an inauthentic request's failure is worded in the response body.
    ///
    /// Why the server could not decide (the MAuth service unreachable, a broken key store) is
    /// never told to the caller, who may not be authentic: that answer is always
    /// `Could not determine request authenticity`, and the reason goes to the log.
    public enum ErrorMessages: Sendable {
        /// The authenticator's own message, as the Python client answers: a caller learns why its
        /// own request is inauthentic.
        case detailed
        /// The Ruby client's fixed message, `Unauthorized`; details go to the log only.
        case generic
    }

    /// The default limit on request bodies: 10 MiB.
    public static let defaultMaxBodySize = 10 * 1024 * 1024

    let authenticator: MAuthAuthenticator
    let exemptPaths: ExemptPaths
    let maxBodySize: Int
    let errorMessages: ErrorMessages

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
        errorMessages: ErrorMessages = .detailed
    ) {
        self.authenticator = authenticator
        self.exemptPaths = exemptPaths
        self.maxBodySize = maxBodySize
        self.errorMessages = errorMessages
    }

    public func handle(_ request: Request, context: RequestContext, next: any Handler) async throws -> Response {
        if exemptPaths.contains(rawPath: request.path) {
            return try await next.handle(request, context: context)
        }
        if let declared = request.head.headerFields[.contentLength].flatMap(Int.init), declared > maxBodySize {
            return HTTPError.contentTooLarge(limit: maxBodySize).response
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maxBodySize)
        } catch let error as HTTPError {
            return error.response
        }
        var context = context
        do {
            context.mauthIdentity = try await authenticator.authenticate(
                method: request.head.method.rawValue,
                // Exactly the path and query the handler sees: a `#` in the target must not split
                // what is authenticated from what is served.
                target: MAuthRequestTarget(path: String(request.path), query: String(request.query)),
                headers: request.head.headerFields,
                body: body.readableBytesView
            )
        } catch {
            if error.code == .inauthentic, context.logger.logLevel <= .debug {
                await logExplanation(of: request, body: body, logger: context.logger)
            }
            return failureResponse(error, context: context)
        }
        var authenticated = request
        authenticated.body = RequestBody(buffer: body)
        return try await next.handle(authenticated, context: context)
    }

    /// The largest body whose rejected signature is explained: the search hashes a V1 body once
    /// per candidate, and it runs before the 401 is sent.
    static let largestBodyExplained = 64 * 1024

    /// Why the signature does not match, for the developer reading the debug log; the caller is
    /// never told.
    private func logExplanation(of request: Request, body: ByteBuffer, logger: Logger) async {
        guard let explainer = authenticator.explainer else { return }
        guard body.readableBytes <= Self.largestBodyExplained else {
            logger.debug(
                "MAuth signature not explained",
                metadata: ["reason": "the body is over \(Self.largestBodyExplained) bytes"])
            return
        }
        do {
            let explanations = try await explainer.explain(
                method: request.head.method.rawValue,
                target: MAuthRequestTarget(path: String(request.path), query: String(request.query)),
                headers: request.head.headerFields,
                body: body.readableBytesView
            )
            for explanation in explanations {
                logger.debug("MAuth signature explained", metadata: ["explanation": "\(explanation)"])
            }
        } catch {
            logger.debug("MAuth signature not explained", metadata: ["reason": "\(error.message)"])
        }
    }

    private func failureResponse(_ error: MAuthError, context: RequestContext) -> Response {
        // Anything but a verdict on the request itself is the server's failure.
        let unable = error.code != .inauthentic
        let message =
            switch (unable, errorMessages) {
            case (true, _): "Could not determine request authenticity"
            case (false, .detailed): error.message
            case (false, .generic): "Unauthorized"
            }
        if unable {
            context.logger.error(
                "MAuth could not determine request authenticity", metadata: ["reason": "\(error.message)"])
        } else {
            context.logger.info("MAuth rejected a request", metadata: ["reason": "\(error.message)"])
        }
        let body = JSON.object(["errors": .object(["mauth": .array([.string(message)])])]).text
        return .json(body, status: unable ? .internalServerError : .unauthorized)
    }
}
