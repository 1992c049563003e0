public import AsyncHTTPClient
public import BodySpool
import HTTPTypes
public import MAuth
public import NIOCore
public import NIOHTTP1

extension MAuthHTTPClient {
    /// A response whose body was read into a spool, and authenticated as it arrived when responses
    /// are authenticated: a body of any size costs at most the spool's memory threshold.
    public struct SpooledResponse: Sendable {
        /// The status.
        public let status: HTTPResponseStatus
        /// The header fields.
        public let headers: HTTPHeaders
        /// The body, read back from the spool as often as needed.
        public let body: SpooledBody
        /// The HTTP version the response came with.
        public let version: HTTPVersion
        /// The app that signed the response, when responses are authenticated.
        public let responder: MAuthIdentity?
    }

    /// Signs and sends `request` with `body`, and reads the response's body into `spool`; with
    /// response authentication, the signature's digests are computed as the body arrives and
    /// checked at its end.
    ///
    /// - Parameters:
    ///   - request: the request; its `url` is the final URL.
    ///   - body: the body; `nil` for none.
    ///   - spool: where the response's body is kept.
    ///   - timeout: how long the whole response may take to arrive.
    /// - Throws: ``/MAuth/MAuthError`` as ``execute(_:body:timeout:)`` does, and when the response
    ///   is larger than the client's `maxResponseSize`; ``/BodySpool/BodySpoolError`` when the
    ///   spool cannot keep the body; AsyncHTTPClient's errors when the request cannot be sent.
    public func execute(
        _ request: HTTPClientRequest, body: ByteBuffer? = nil, spool: BodySpool, timeout: Duration = .seconds(30)
    ) async throws -> SpooledResponse {
        var request = request
        try signer.sign(&request, body: body)
        let (httpClient, maxResponseSize, authenticator, sent) = (
            self.httpClient, self.maxResponseSize, self.responseAuthenticator, request
        )
        return try await withTimeLimit(timeout, timeoutError: HTTPClientError.deadlineExceeded) {
            let response = try await httpClient.execute(sent, deadline: .distantFuture)
            let head = response.httpTypesHead
            if authenticator != nil, head == nil {
                throw MAuthError(
                    .unableToAuthenticate, "the response status \(response.status.code) is not a valid HTTP status")
            }
            let digester = head.map { MAuthBodyDigester(responseStatus: $0.status.code, headers: $0.headerFields) }
            let spooled = spool.makeBody()
            for try await part in response.body {
                guard part.readableBytes <= maxResponseSize - spooled.byteCount else {
                    throw MAuthError(
                        .unableToAuthenticate,
                        "the response body is larger than \(maxResponseSize) bytes, the most read")
                }
                try spooled.append(part)
                if authenticator != nil { part.withUnsafeReadableBytes { digester?.update($0) } }
            }
            var responder: MAuthIdentity?
            if let authenticator, let head, let digester {
                responder =
                    authenticator.verifiesBodyDigests
                    ? try await authenticator.authenticate(head, bodyDigest: digester.finish())
                    : try await authenticator.authenticate(head, body: try spooled.readAll().readableBytesView)
            }
            return SpooledResponse(
                status: response.status, headers: response.headers, body: spooled, version: response.version,
                responder: responder)
        }
    }
}
