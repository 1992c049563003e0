public import BodySpool
public import HTTPTypes
public import Logging
public import MAuth
public import NIOCore

extension MAuthGate {
    /// What an integration does with a request, as ``decide(method:target:headers:body:logger:)``
    /// decides it.
    public enum Decision: Sendable {
        /// Serve the request as it came, its body unread: an exempt path, or an unsigned request
        /// where authentication is optional.
        case pass
        /// Serve the request with this caller and its body, read back from the spool.
        case authenticated(identity: MAuthIdentity, body: SpooledBody)
        /// Answer with this rejection; the request reaches no route.
        case rejected(MAuthRejection)
    }

    /// The whole MAuth decision for one request, the same for every integration: an exempt path or
    /// an unsigned request that may pass passes; a declared length over ``maxBodySize`` is 413
    /// before any byte is read; otherwise the body is read into the spool as it streams while its
    /// digests are computed, and the signature decides.
    ///
    /// - Parameters:
    ///   - method: the request's method.
    ///   - target: the raw path and query as received, split as the framework routes them.
    ///   - headers: the request's header fields.
    ///   - body: the body as it arrives; not read when the request passes.
    ///   - logger: where failures are logged.
    /// - Returns: whether to pass the request on, with or without a caller, or the rejection.
    /// - Throws: what reading `body` throws (a client gone, a server's own 400 or 408).
    public func decide<Body: AsyncSequence<ByteBuffer, any Error>>(
        method: String,
        target: MAuthRequestTarget,
        headers: HTTPFields,
        body: Body,
        logger: Logger
    ) async throws -> Decision {
        if isExempt(rawPath: target.path) || passesUnsigned(headers) { return .pass }
        if let rejection = rejectionOfDeclaredLength(in: headers) { return .rejected(rejection) }
        switch try await authenticate(
            method: method, target: target, headers: headers, streamedBody: body, logger: logger)
        {
        case .success(let (identity, body)): return .authenticated(identity: identity, body: body)
        case .failure(let rejection): return .rejected(rejection)
        }
    }
}
