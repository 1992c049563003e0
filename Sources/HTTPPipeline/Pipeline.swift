import HTTPTypes
import Logging
import NIOCore

/// Middlewares in front of a handler, listed in the order requests flow through them.
///
/// ```swift
/// let pipeline = Pipeline(
///     AccessLog(),
///     MAuthMiddleware(authenticator: authenticator, exemptPaths: ["/app_status"]),
///     handler: router
/// )
/// let response = await pipeline.respond(to: request, context: RequestContext())
/// ```
///
/// Requests pass the first middleware first; responses pass it last.
public struct Pipeline: Handler {
    private let entry: any Handler

    /// Puts `middlewares` in front of `handler`, the first one outermost.
    public init(_ middlewares: any Middleware..., handler: some Handler) {
        self.init(middlewares: middlewares, handler: handler)
    }

    /// Puts `middlewares` in front of `handler`, the first one outermost.
    public init(middlewares: [any Middleware], handler: some Handler) {
        var entry: any Handler = handler
        for middleware in middlewares.reversed() {
            entry = MiddlewareHandler(middleware: middleware, next: entry)
        }
        self.entry = entry
    }

    public func handle(_ request: Request, context: RequestContext) async throws -> Response {
        try await entry.handle(request, context: context)
    }

    /// Runs the pipeline and renders any error as a response: an ``HTTPResponseError`` as its
    /// own response, anything else as a logged 500 whose body reveals nothing.
    public func respond(to request: Request, context: RequestContext) async -> Response {
        do {
            return try await entry.handle(request, context: context)
        } catch let error as any HTTPResponseError {
            return error.response
        } catch {
            context.logger.error(
                "Unhandled error",
                metadata: ["error": "\(String(reflecting: error))", "path": "\(request.path)"]
            )
            return HTTPError(.internalServerError).response
        }
    }
}
