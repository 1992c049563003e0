public import HTTPPipeline
import HTTPTypes
import Logging
public import MAuth
import NIOCore

/// Signs every response with the service's own key (PROTOCOL.md §9.2), so that callers can
/// authenticate the answer.
///
/// The response is signed with the protocol version the request was signed with (V2 when it
/// carries `MCC-Authentication`, else V1 when it carries `X-MWS-Authentication`); a response to an
/// unsigned request is signed with the signer's versions. Place it first in the pipeline, in front
/// of ``MAuthMiddleware``, so that every response is signed — authentication failures and errors
/// included — and it sees the final body.
public struct MAuthResponseSigningMiddleware: Middleware {
    let signer: MAuthSigner

    /// Creates the middleware with the service's signer.
    public init(signer: MAuthSigner) {
        self.signer = signer
    }

    /// Gets the response from `next` and signs it over its whole body.
    ///
    /// A thrown ``/HTTPPipeline/HTTPResponseError`` is turned into its response, and any other
    /// error into a logged 500, before signing, so that failures are signed too. The body is
    /// collected in memory to be signed.
    ///
    /// - Parameters:
    ///   - request: the request; its authentication headers choose the version to sign with.
    ///   - context: the request's context, passed on unchanged.
    ///   - next: the rest of the pipeline.
    /// - Returns: the response with the MAuth headers of the signer's app.
    /// - Throws: ``/MAuth/MAuthError`` when the response cannot be signed, or the body's error
    ///   when it cannot be read.
    public func handle(_ request: Request, context: RequestContext, next: any Handler) async throws -> Response {
        var response: Response
        do {
            response = try await next.handle(request, context: context)
        } catch let error as any HTTPResponseError {
            response = error.response
        } catch {
            context.logger.error("Unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            response = HTTPError(.internalServerError).response
        }
        let body = try await response.body.collect()
        let fields = request.head.headerFields
        let versions: [MAuthProtocolVersion] =
            if fields[.mauthV2Authentication] != nil {
                [.v2]
            } else if fields[.mauthV1Authentication] != nil {
                [.v1]
            } else {
                signer.versions
            }
        try signer.sign(&response.head, body: body.readableBytesView, versions: versions)
        response.body = ResponseBody(buffer: body)
        return response
    }
}
