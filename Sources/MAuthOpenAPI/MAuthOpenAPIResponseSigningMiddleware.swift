#if OpenAPISupport
    public import BodySpool
    public import HTTPTypes
    public import MAuth
    public import MAuthIntegration
    import NIOCore
    public import OpenAPIRuntime

    /// Signs every response of a generated OpenAPI server with the service's own key, on any
    /// transport, so that callers can authenticate the answer, as
    /// `MAuthResponseSigningMiddleware` does for the pipeline.
    ///
    /// ```swift
    /// try api.registerHandlers(
    ///     on: router,
    ///     middlewares: [
    ///         MAuthOpenAPIResponseSigningMiddleware(signer: serviceSigner),
    ///         MAuthOpenAPIServerMiddleware(authenticator: authenticator),
    ///     ]
    /// )
    /// ```
    ///
    /// Put it before ``MAuthOpenAPIServerMiddleware`` so that its refusals are signed too. The
    /// response is signed with the version the request was signed with
    /// (``/MAuthIntegration/MAuthResponseSigner``); its body is read to its end into the spool while
    /// its digest is computed, then sent from there with its length, so a large body costs no more
    /// memory than the spool's threshold. An error a handler throws is not a response yet: the
    /// transport answers it, unsigned.
    public struct MAuthOpenAPIResponseSigningMiddleware: ServerMiddleware {
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
        ///   - body: the request body, passed on.
        ///   - metadata: the path parameters, passed on.
        ///   - operationID: the operation (unused).
        ///   - next: the middlewares after this one and the handler.
        /// - Returns: the response with the MAuth headers of the signer's app, and its body.
        /// - Throws: ``/MAuth/MAuthError`` when the response cannot be signed,
        ///   ``/BodySpool/BodySpoolError`` when its body cannot be spooled, and what `next` or
        ///   reading the body throws.
        public func intercept(
            _ request: HTTPRequest,
            body: HTTPBody?,
            metadata: ServerRequestMetadata,
            operationID: String,
            next:
                @concurrent @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (
                    HTTPResponse, HTTPBody?
                )
        ) async throws -> (HTTPResponse, HTTPBody?) {
            var (response, responseBody) = try await next(request, body, metadata)
            let spooled = try await responseSigner.sign(&response, respondingTo: request.headerFields) { sink in
                guard let responseBody else { return }
                for try await chunk in responseBody { try sink.write(ByteBuffer(bytes: chunk)) }
            }
            guard responseBody != nil else { return (response, nil) }
            let signedBody = HTTPBody(
                spooled.chunks().map { ArraySlice($0.readableBytesView) },
                length: .known(Int64(spooled.byteCount)), iterationBehavior: .multiple)
            return (response, signedBody)
        }
    }
#endif
