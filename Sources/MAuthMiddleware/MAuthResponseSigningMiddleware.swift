public import HTTPPipeline
public import MAuth
import NIOCore

/// Signs every response with the service's own key (PROTOCOL.md §9.2), so that callers can
/// authenticate the answer.
///
/// The response is signed with the protocol version the request was authenticated with; a
/// response to an unauthenticated request (an exempt path) is signed with the signer's versions.
/// Place it after ``MAuthMiddleware`` in the pipeline so that it sees the final body and the
/// caller's identity.
public struct MAuthResponseSigningMiddleware: Middleware {
    let signer: MAuthSigner

    /// Creates the middleware with the service's signer.
    public init(signer: MAuthSigner) {
        self.signer = signer
    }

    public func handle(_ request: Request, context: RequestContext, next: any Handler) async throws -> Response {
        var response: Response
        do {
            response = try await next.handle(request, context: context)
        } catch let error as any HTTPResponseError {
            response = error.response
        }
        let body = try await response.body.collect()
        let versions = context.mauthIdentity.map { [$0.version] } ?? signer.versions
        try signer.sign(&response.head, body: body.readableBytesView, versions: versions)
        response.body = ResponseBody(buffer: body)
        return response
    }
}
