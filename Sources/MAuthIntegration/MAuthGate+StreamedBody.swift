public import BodySpool
public import HTTPTypes
public import Logging
public import MAuth
public import NIOCore

extension MAuthGate {
    /// Reads a request's body as it streams, keeping it in the gate's spool, and authenticates
    /// the request once the body has ended.
    ///
    /// A body that stays within the spool's memory threshold is authenticated from its bytes, as
    /// ``authenticate(method:target:headers:body:logger:)`` does. A larger one goes to a spool
    /// file, and the signature's digests are computed as its bytes arrive
    /// (``/MAuth/MAuthBodyDigester``), so memory does not grow with the body; with a verifier that
    /// needs the bytes (a MAuth service in remote mode) the body is read back from the file.
    ///
    /// The body is only handed back once the signature holds, so nothing unauthenticated reaches
    /// a handler.
    ///
    /// - Returns: the caller and the body, or the rejection to answer: 401 or 500 as
    ///   ``authenticate(method:target:headers:body:logger:)``, 413 past ``maxBodySize``, 503 when
    ///   the spool's file system is full or cannot be written.
    /// - Throws: what reading `body` throws (a server's 400 or 408, a client gone).
    public func authenticate<Body: AsyncSequence<ByteBuffer, any Error>>(
        method: String,
        target: MAuthRequestTarget,
        headers: HTTPFields,
        streamedBody body: Body,
        logger: Logger
    ) async throws -> Result<(identity: MAuthIdentity, body: SpooledBody), MAuthRejection> {
        let spooled = spool.makeBody()
        var digester: BackgroundDigester?
        do {
            for try await part in body {
                guard part.readableBytes <= maxBodySize - spooled.byteCount else { return .failure(bodyTooLarge) }
                try spooled.append(part)
                if let digester {
                    await digester.update(part)
                } else if spooled.isSpooled, authenticator.verifiesBodyDigests {
                    digester = BackgroundDigester(
                        try Self.digester(catchingUp: spooled, method: method, target: target, headers: headers))
                }
            }
        } catch let error as BodySpoolError {
            logger.error("MAuth could not spool a request body", metadata: ["reason": "\(error.message)"])
            return .failure(.storageUnavailable)
        }
        let outcome: Result<MAuthIdentity, MAuthRejection>
        if let digester {
            outcome = await authenticate(
                method: method, target: target, headers: headers, bodyDigest: await digester.finish(), logger: logger)
        } else {
            let bytes: ByteBuffer
            do throws(BodySpoolError) {
                bytes = try spooled.readAll()
            } catch {
                logger.error("MAuth could not read a spooled body back", metadata: ["reason": "\(error.message)"])
                return .failure(.storageUnavailable)
            }
            outcome = await authenticate(
                method: method, target: target, headers: headers, body: bytes.readableBytesView, logger: logger)
        }
        return outcome.map { (identity: $0, body: spooled) }
    }

    /// Authenticates a request from its body's digest, logging a failure as
    /// ``authenticate(method:target:headers:body:logger:)`` does; a signature checked from a
    /// digest is not explained, since the body is not at hand.
    public func authenticate(
        method: String,
        target: MAuthRequestTarget,
        headers: HTTPFields,
        bodyDigest: MAuthBodyDigest,
        logger: Logger
    ) async -> Result<MAuthIdentity, MAuthRejection> {
        do {
            return .success(
                try await authenticator.authenticate(
                    method: method, target: target, headers: headers, bodyDigest: bodyDigest))
        } catch {
            logFailure(error, logger: logger)
            return .failure(MAuthRejection(error, messages: errorMessages))
        }
    }

    /// A digester fed with everything `body` holds so far, read back from its spool file.
    private static func digester(
        catchingUp body: SpooledBody, method: String, target: MAuthRequestTarget, headers: HTTPFields
    ) throws(BodySpoolError) -> MAuthBodyDigester {
        let digester = MAuthBodyDigester(method: method, target: target, headers: headers)
        try body.forEachPart { part in part.withUnsafeReadableBytes { digester.update($0) } }
        return digester
    }
}
