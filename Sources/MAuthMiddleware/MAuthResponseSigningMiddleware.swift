public import BodySpool
public import HTTPPipeline
import HTTPTypes
import Logging
public import MAuth
import MAuthIntegration
import NIOCore

/// Signs every response with the service's own key (PROTOCOL.md §9.2), so that callers can
/// authenticate the answer.
///
/// The response is signed as ``/MAuthIntegration/MAuthResponseSigner`` says: with the protocol version the request
/// was signed with, or the signer's for an unsigned request. Place it first in the pipeline, in front
/// of ``MAuthMiddleware``, so that every response is signed — authentication failures and errors
/// included — and it sees the final body.
///
/// A signature covers the whole body and travels in the head, so a streamed body is read to its
/// end before the head is sent: it waits in the spool (memory up to the spool's threshold, then a
/// file without a name), its digest computed as it is written, and is then sent from there. A body
/// already in memory is signed as it is.
public struct MAuthResponseSigningMiddleware: Middleware {
    let responseSigner: MAuthResponseSigner

    /// Creates the middleware with the service's signer.
    ///
    /// - Parameters:
    ///   - signer: signs every response with the service's identity.
    ///   - spool: where streamed bodies wait while they are signed.
    public init(signer: MAuthSigner, spool: BodySpool = .standard) {
        self.responseSigner = MAuthResponseSigner(signer: signer, spool: spool)
    }

    /// Gets the response from `next` and signs it over its whole body.
    ///
    /// A thrown ``/HTTPPipeline/HTTPResponseError`` is turned into its response, and any other
    /// error into a logged 500, before signing, so that failures are signed too.
    ///
    /// - Parameters:
    ///   - request: the request; its authentication headers choose the version to sign with.
    ///   - context: the request's context, passed on unchanged.
    ///   - next: the rest of the pipeline.
    /// - Returns: the response with the MAuth headers of the signer's app.
    /// - Throws: ``/MAuth/MAuthError`` when the response cannot be signed,
    ///   ``/BodySpool/BodySpoolError`` when its streamed body cannot be spooled, or the body's
    ///   error when it cannot be written.
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
        let fields = request.head.headerFields
        if let body = response.body.buffer {
            try responseSigner.sign(&response.head, body: body.readableBytesView, respondingTo: fields)
            return response
        }
        let body = response.body
        let spooled = try await responseSigner.sign(&response.head, respondingTo: fields) { sink in
            try await body.write(to: SinkWriter(sink: sink))
        }
        response.body =
            spooled.memoryBuffer.map(ResponseBody.init(buffer:))
            ?? ResponseBody { writer in
                for try await part in spooled.chunks() { try await writer.write(part) }
            }
        return response
    }
}

/// Hands a pipeline response body to the signer's sink.
private struct SinkWriter: ResponseBodyWriter {
    let sink: MAuthResponseSigner.Sink

    func write(_ buffer: ByteBuffer) async throws {
        try sink.write(buffer)
    }
}
