public import BodySpool
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
///
/// A signature covers the whole body and travels in the head, so a streamed body is read to its
/// end before the head is sent: it waits in the spool (memory up to the spool's threshold, then a
/// file without a name), its digest computed as it is written, and is then sent from there. A body
/// already in memory is signed as it is.
public struct MAuthResponseSigningMiddleware: Middleware {
    let signer: MAuthSigner
    let spool: BodySpool

    /// Creates the middleware with the service's signer.
    ///
    /// - Parameters:
    ///   - signer: signs every response with the service's identity.
    ///   - spool: where streamed bodies wait while they are signed.
    public init(signer: MAuthSigner, spool: BodySpool = .standard) {
        self.signer = signer
        self.spool = spool
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
        let versions: [MAuthProtocolVersion] =
            if fields[.mauthV2Authentication] != nil {
                [.v2]
            } else if fields[.mauthV1Authentication] != nil {
                [.v1]
            } else {
                signer.versions
            }
        if let body = response.body.buffer {
            try signer.sign(&response.head, body: body.readableBytesView, versions: versions)
            return response
        }
        let digester = try signer.bodyDigester(responseStatus: response.head.status.code, versions: versions)
        let spooled = spool.makeBody()
        try await response.body.write(to: SpoolingWriter(body: spooled, digester: digester))
        response.head.headerFields.replaceMAuthFields(with: try signer.headers(for: digester))
        response.body =
            spooled.memoryBuffer.map(ResponseBody.init(buffer:))
            ?? ResponseBody { writer in
                for try await part in spooled.chunks() { try await writer.write(part) }
            }
        return response
    }
}

/// Keeps a streamed response body in the spool and feeds its digest as it is written.
private final class SpoolingWriter: ResponseBodyWriter, @unchecked Sendable {
    private let body: SpooledBody
    private let digester: MAuthSigningDigester

    init(body: SpooledBody, digester: MAuthSigningDigester) {
        self.body = body
        self.digester = digester
    }

    func write(_ buffer: ByteBuffer) async throws {
        try body.append(buffer)
        buffer.withUnsafeReadableBytes { digester.update($0) }
    }
}
