/// A ``Handler`` made from a closure.
public struct HandlerFunction: Handler {
    private let body: @Sendable (Request, RequestContext) async throws -> Response

    /// Wraps `body`.
    public init(_ body: @escaping @Sendable (Request, RequestContext) async throws -> Response) {
        self.body = body
    }

    public func handle(_ request: Request, context: RequestContext) async throws -> Response {
        try await body(request, context)
    }
}
