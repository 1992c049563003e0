/// Answers a request: the last stage of a pipeline.
public protocol Handler: Sendable {
    /// Produces the response to `request`. A thrown ``HTTPResponseError`` becomes its response;
    /// any other error becomes a 500 that does not reveal the error.
    func handle(_ request: Request, context: RequestContext) async throws -> Response
}
