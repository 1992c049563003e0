#if HummingbirdSupport
    public import BodySpool
    public import Hummingbird
    public import MAuth
    public import MAuthIntegration
    import NIOCore

    /// Signs every response of a Hummingbird router with the service's own key, so that callers can
    /// authenticate the answer, as `MAuthResponseSigningMiddleware` does for the
    /// pipeline.
    ///
    /// ```swift
    /// router.add(middleware: MAuthHummingbirdResponseSigningMiddleware(signer: serviceSigner))
    /// router.add(middleware: MAuthHummingbirdMiddleware(authenticator: authenticator))
    /// ```
    ///
    /// Add it before ``MAuthHummingbirdMiddleware`` so that its refusals are signed too; an error a
    /// route throws is turned into its response first, and signed. The response is signed with the
    /// version the request was signed with (``/MAuthIntegration/MAuthResponseSigner``); its body is
    /// read to its end into the spool while its digest is computed, then sent from there, so a
    /// large body costs no more memory than the spool's threshold.
    public struct MAuthHummingbirdResponseSigningMiddleware<Context: RequestContext>: RouterMiddleware {
        /// Signs the responses.
        public let responseSigner: MAuthResponseSigner

        /// Creates the middleware with the service's signer.
        ///
        /// - Parameters:
        ///   - signer: signs every response with the service's identity.
        ///   - spool: where bodies wait while they are signed.
        public init(signer: MAuthSigner, spool: BodySpool = .standard) {
            self.responseSigner = MAuthResponseSigner(signer: signer, spool: spool)
        }

        /// Gets the response from `next` and signs it over its whole body.
        ///
        /// - Parameters:
        ///   - request: the request; its authentication headers choose the version to sign with.
        ///   - context: the request's context, passed on unchanged.
        ///   - next: the rest of the router.
        /// - Returns: the response with the MAuth headers of the signer's app.
        /// - Throws: ``/MAuth/MAuthError`` when the response cannot be signed,
        ///   ``/BodySpool/BodySpoolError`` when its body cannot be spooled, the body's error when it
        ///   cannot be written, and a route's error that is not an `HTTPResponseError`.
        public func handle(
            _ request: Request, context: Context, next: @concurrent (Request, Context) async throws -> Response
        ) async throws -> Response {
            var response: Response
            do {
                response = try await next(request, context)
            } catch let error as any HTTPResponseError {
                response = try error.response(from: request, context: context)
            }
            var head = response.head
            let body = response.body
            let spooled = try await responseSigner.sign(&head, respondingTo: request.headers) { sink in
                try await body.write(SinkWriter(sink: sink))
            }
            response.headers = head.headerFields
            response.body =
                spooled.memoryBuffer.map { ResponseBody(byteBuffer: $0) }
                ?? ResponseBody(contentLength: spooled.byteCount) { writer in
                    for try await part in spooled.chunks() { try await writer.write(part) }
                    try await writer.finish(nil)
                }
            return response
        }
    }

    /// Hands a Hummingbird response body to the signer's sink.
    private struct SinkWriter: ResponseBodyWriter {
        let sink: MAuthResponseSigner.Sink

        func write(_ buffer: ByteBuffer) async throws {
            try sink.write(buffer)
        }

        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
#endif
