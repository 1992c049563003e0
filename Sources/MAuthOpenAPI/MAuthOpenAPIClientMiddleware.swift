#if OpenAPISupport
    public import BodySpool
    public import Foundation
    public import HTTPTypes
    public import MAuth
    import NIOCore
    public import OpenAPIRuntime

    /// Signs every request of a generated OpenAPI client over the URL the transport will send.
    ///
    /// ```swift
    /// let client = Client(
    ///     serverURL: URL(string: "https://api.example.com/v1")!,
    ///     transport: AsyncHTTPClientTransport(),
    ///     middlewares: [RetryMiddleware(), MAuthOpenAPIClientMiddleware(signer: signer)]   // signing last
    /// )
    /// ```
    ///
    /// Put it last in the list, nearest the transport: every middleware after it could change what is
    /// sent, and a retrying middleware before it gets every attempt signed afresh, with a new time.
    ///
    /// The signed target is what the AsyncHTTPClient and URLSession transports send: the server URL's
    /// path followed by the operation's path, and the operation's query (the server URL's own query is
    /// dropped). The body is read, up to `maxBodySize` bytes, into the spool while its digest is
    /// computed (so a large body costs the spool's memory threshold), signed, and passed on from the
    /// spool with its length. A path parameter
    /// of `.` or `..` makes a dot segment, which AsyncHTTPClient sends as it is but URLSession on Linux
    /// may resolve before sending; such a request then fails authentication.
    public struct MAuthOpenAPIClientMiddleware: ClientMiddleware {
        /// Signs the requests.
        public let signer: MAuthSigner
        /// The largest body signed; a larger one fails the request with `unableToSign`.
        public let maxBodySize: Int
        /// Where bodies wait while they are signed.
        public let spool: BodySpool

        /// Creates the middleware.
        ///
        /// - Parameters:
        ///   - signer: signs the requests.
        ///   - maxBodySize: the largest body signed.
        ///   - spool: where bodies wait while they are signed.
        public init(signer: MAuthSigner, maxBodySize: Int = 10 * 1024 * 1024, spool: BodySpool = .standard) {
            self.signer = signer
            self.maxBodySize = maxBodySize
            self.spool = spool
        }

        /// Signs `request` over the target the transport will send and its body, then sends it.
        ///
        /// - Parameters:
        ///   - request: the operation's request; its MAuth headers are replaced.
        ///   - body: the body, read up to ``maxBodySize`` bytes into the spool and passed on from there.
        ///   - baseURL: the server URL, whose path goes in front of the operation's.
        ///   - operationID: the operation, named in the error for a body over the limit.
        ///   - next: the middlewares after this one and the transport.
        /// - Returns: `next`'s response.
        /// - Throws: ``/MAuth/MAuthError`` (unable to sign) for a body over the limit or a signer
        ///   that fails; whatever reading the body or `next` throws.
        public func intercept(
            _ request: HTTPRequest,
            body: HTTPBody?,
            baseURL: URL,
            operationID: String,
            next: @concurrent @Sendable (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)
        ) async throws -> (HTTPResponse, HTTPBody?) {
            let tooLarge = MAuthError(
                .unableToSign, "the body of \(operationID) is larger than \(maxBodySize) bytes, the most signed")
            if let body, case .known(let length) = body.length, length > maxBodySize { throw tooLarge }
            var request = request
            let digester = try signer.bodyDigester(
                method: request.method.rawValue, target: Self.sentTarget(of: request, baseURL: baseURL))
            let spooled = spool.makeBody()
            for try await chunk in body ?? HTTPBody() {
                guard chunk.count <= maxBodySize - spooled.byteCount else { throw tooLarge }
                digester.update(chunk)
                try spooled.append(ByteBuffer(bytes: chunk))
            }
            request.headerFields.replaceMAuthFields(with: try signer.headers(for: digester))
            let sent = body.map { _ in
                HTTPBody(
                    spooled.chunks().map {
                        ArraySlice($0.getBytes(at: $0.readerIndex, length: $0.readableBytes) ?? [])
                    },
                    length: .known(Int64(spooled.byteCount)), iterationBehavior: .multiple)
            }
            return try await next(request, sent, baseURL)
        }

        /// The path and query the transports send: they join the server URL and the operation's
        /// path with `URLComponents`, adding the operation's query in place of the server URL's.
        static func sentTarget(of request: HTTPRequest, baseURL: URL) -> MAuthRequestTarget {
            let operationPath = request.path ?? ""
            guard var components = URLComponents(string: baseURL.absoluteString),
                let operation = URLComponents(string: operationPath)
            else { return MAuthRequestTarget(url: operationPath) }
            components.percentEncodedPath += operation.percentEncodedPath
            components.percentEncodedQuery = operation.percentEncodedQuery
            let path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
            return MAuthRequestTarget(path: path, query: components.percentEncodedQuery ?? "")
        }
    }
#endif
