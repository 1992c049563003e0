public import BodySpool
public import HTTPTypes
public import MAuth
public import NIOCore

/// Signs responses, whatever framework makes them: the part that
/// `MAuthResponseSigningMiddleware` and the Hummingbird, Vapor and OpenAPI response signers
/// share (PROTOCOL.md §9.2).
///
/// A response is signed with the protocol version its request was signed with (V2 when it carries
/// `MCC-Authentication`, else V1 when it carries `X-MWS-Authentication`); a response to an
/// unsigned request with the signer's versions. A signature covers the whole body and travels in
/// the head, so a streamed body is read to its end first: into the spool, its digest computed as
/// it is written, to be sent from there.
public struct MAuthResponseSigner: Sendable {
    /// Signs with the service's identity.
    public let signer: MAuthSigner
    /// Where streamed bodies wait while they are signed.
    public let spool: BodySpool

    /// Creates a response signer.
    ///
    /// - Parameters:
    ///   - signer: signs every response with the service's identity.
    ///   - spool: where streamed bodies wait while they are signed.
    public init(signer: MAuthSigner, spool: BodySpool = .standard) {
        self.signer = signer
        self.spool = spool
    }

    /// The versions a response to a request with `requestFields` is signed with.
    public func versions(respondingTo requestFields: HTTPFields) -> [MAuthProtocolVersion] {
        if requestFields[.mauthV2Authentication] != nil { return [.v2] }
        if requestFields[.mauthV1Authentication] != nil { return [.v1] }
        return signer.versions
    }

    /// Signs `head` over a body held in memory.
    ///
    /// - Throws: ``/MAuth/MAuthError`` when the response cannot be signed.
    public func sign(_ head: inout HTTPResponse, body: some Collection<UInt8>, respondingTo requestFields: HTTPFields)
        throws(MAuthError)
    {
        try signer.sign(&head, body: body, versions: versions(respondingTo: requestFields))
    }

    /// Signs `head` over a streamed body: `writeBody` writes the body to the sink it is given,
    /// which keeps it in the spool and digests it; the body is returned, to be sent from there.
    ///
    /// - Throws: ``/MAuth/MAuthError`` when the response cannot be signed,
    ///   ``/BodySpool/BodySpoolError`` when the body cannot be spooled, or what `writeBody` throws.
    public func sign(
        _ head: inout HTTPResponse, respondingTo requestFields: HTTPFields,
        writeBody: (Sink) async throws -> Void
    ) async throws -> SpooledBody {
        let digester = try signer.bodyDigester(
            responseStatus: head.status.code, versions: versions(respondingTo: requestFields))
        let sink = Sink(body: spool.makeBody(), digester: digester)
        try await writeBody(sink)
        head.headerFields.replaceMAuthFields(with: try signer.headers(for: digester))
        return sink.body
    }

    /// Where a streamed response body is written to be signed: the spool, and the digest.
    public final class Sink: @unchecked Sendable {
        let body: SpooledBody
        private let digester: MAuthSigningDigester

        init(body: SpooledBody, digester: MAuthSigningDigester) {
            self.body = body
            self.digester = digester
        }

        /// Appends the next bytes of the body.
        ///
        /// - Throws: ``/BodySpool/BodySpoolError`` when the spool cannot keep them.
        public func write(_ buffer: ByteBuffer) throws {
            try body.append(buffer)
            buffer.withUnsafeReadableBytes { digester.update($0) }
        }
    }
}
