/// A middleware in front of the rest of a pipeline.
struct MiddlewareHandler: Handler {
    let middleware: any Middleware
    let next: any Handler

    func handle(_ request: Request, context: RequestContext) async throws -> Response {
        try await middleware.handle(request, context: context, next: next)
    }
}
