/// A stage in front of a handler: it can answer by itself, change the request or context before
/// calling `next`, or change the response that `next` returns.
public protocol Middleware: Sendable {
    /// Handles `request`, calling `next` to pass it on.
    func handle(_ request: Request, context: RequestContext, next: any Handler) async throws -> Response
}
