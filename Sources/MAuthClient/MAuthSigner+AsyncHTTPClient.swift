public import AsyncHTTPClient
import HTTPTypes
public import MAuth
public import NIOCore
import NIOHTTP1

extension MAuthSigner {
    /// Signs an AsyncHTTPClient request whose body is `body`, and sets that body.
    ///
    /// The signature covers the method, the path and query exactly as they will be sent, and the
    /// body bytes. Empty `&` pieces are removed from the query first, since MAuth clients
    /// disagree about them (`a=1&&b=2` is sent and signed as `a=1&b=2`), and characters that
    /// AsyncHTTPClient would percent-encode on sending (`/files/a b`) are encoded before signing.
    ///
    /// - Parameters:
    ///   - request: the request; its `url` is the final URL.
    ///   - body: the body; `nil` for none.
    ///   - versions: overrides the signer's versions for this request.
    /// - Throws: `unableToSign` when the request already has a body that was not given here,
    ///   since it would be sent unsigned.
    public func sign(_ request: inout HTTPClientRequest, body: ByteBuffer?, versions: [MAuthProtocolVersion]? = nil)
        throws(MAuthError)
    {
        if body == nil, request.body != nil {
            throw MAuthError(
                .unableToSign, "the request has a body that was not passed to sign(_:body:); pass it to be signed")
        }
        request.url = SendableURL.asSentByAsyncHTTPClient(request.url)
        let bytes = body ?? ByteBuffer()
        let fields = try headers(
            method: request.method.rawValue,
            target: MAuthRequestTarget(url: request.url),
            body: bytes.readableBytesView,
            versions: versions
        )
        for name in HTTPField.Name.mauthSignatureFields {
            request.headers.remove(name: name.rawName)
        }
        for field in fields {
            request.headers.add(name: field.name.rawName, value: field.value)
        }
        request.body = body.map { .bytes($0) }
    }

    /// Signs an AsyncHTTPClient request whose body arrives as a stream, collecting it first (up to
    /// `maxBodySize` bytes).
    public func sign<Body: AsyncSequence & Sendable>(
        _ request: inout HTTPClientRequest,
        collecting stream: Body,
        maxBodySize: Int,
        versions: [MAuthProtocolVersion]? = nil
    ) async throws where Body.Element == ByteBuffer {
        var collected = ByteBuffer()
        for try await part in stream {
            guard collected.readableBytes + part.readableBytes <= maxBodySize else {
                throw MAuthError(.unableToSign, "the request body is larger than \(maxBodySize) bytes, the most signed")
            }
            collected.writeImmutableBuffer(part)
        }
        try sign(&request, body: collected, versions: versions)
    }
}
