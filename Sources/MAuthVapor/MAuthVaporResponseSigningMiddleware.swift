#if VaporSupport
    import HTTPTypes
    public import MAuth
    public import MAuthIntegration
    import NIOHTTPTypesHTTP1
    public import Vapor

    /// Signs every response of a Vapor application, or of a route group, with the service's own key,
    /// so that callers can authenticate the answer, as
    /// `MAuthResponseSigningMiddleware` does for the pipeline.
    ///
    /// ```swift
    /// let signed = app.grouped(MAuthVaporResponseSigningMiddleware(signer: serviceSigner))
    ///     .grouped(MAuthVaporMiddleware(authenticator: authenticator))
    /// ```
    ///
    /// Group it outside ``MAuthVaporMiddleware`` so that its refusals are signed too; an error a
    /// route throws is turned into its response first (as Vapor's `ErrorMiddleware` would), and
    /// signed. The response is signed with the version the request was signed with
    /// (``/MAuthIntegration/MAuthResponseSigner``). Vapor gives a middleware no way to read a
    /// streamed response body but to collect it, so a streamed body is collected in memory to be
    /// signed; a body already in memory is signed as it is.
    public struct MAuthVaporResponseSigningMiddleware: AsyncMiddleware {
        /// Signs the responses.
        public let responseSigner: MAuthResponseSigner

        /// Creates the middleware with the service's signer.
        ///
        /// - Parameter signer: signs every response with the service's identity.
        public init(signer: MAuthSigner) {
            self.responseSigner = MAuthResponseSigner(signer: signer)
        }

        /// Gets the response from `next` and signs it over its whole body.
        ///
        /// - Parameters:
        ///   - request: the request; its authentication headers choose the version to sign with.
        ///   - next: the rest of the responder chain.
        /// - Returns: the response with the MAuth headers of the signer's app.
        /// - Throws: ``/MAuth/MAuthError`` when the response cannot be signed, or the body's error
        ///   when it cannot be collected.
        public func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
            // Vapor's own rendering of errors, so that what a route throws is answered as usual, and signed.
            let response = try await ErrorMiddleware.default(environment: request.application.environment)
                .respond(to: request, chainingTo: next).get()
            let body: ByteBuffer =
                if let buffer = response.body.buffer {
                    buffer
                } else {
                    try await response.body.collect(on: request.eventLoop).get() ?? ByteBuffer()
                }
            var head = HTTPResponse(
                status: .init(code: Int(response.status.code)),
                headerFields: HTTPFields(response.headers, splitCookie: false))
            try responseSigner.sign(
                &head, body: body.readableBytesView,
                respondingTo: HTTPFields(request.headers, splitCookie: false))
            for name in [MAuthProtocolVersion.v2, .v1].flatMap({ [$0.authenticationHeader, $0.timeHeader] }) {
                response.headers.remove(name: name.rawName)
                if let value = head.headerFields[name] {
                    response.headers.replaceOrAdd(name: name.rawName, value: value)
                }
            }
            response.body = .init(buffer: body)
            return response
        }
    }

#endif
