/// Answers a request: the last stage of a pipeline.
public protocol Handler: Sendable {
    /// Produces the response to `request`. A thrown ``HTTPResponseError`` becomes its response;
    /// any other error becomes a 500 that does not reveal the error.
    func handle(_ request: Request, context: RequestContext) async throws -> Response
}

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
