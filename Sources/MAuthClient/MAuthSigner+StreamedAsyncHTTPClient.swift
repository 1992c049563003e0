public import AsyncHTTPClient
public import BodySpool
import HTTPTypes
public import MAuth
import NIOCore
import NIOHTTP1

extension MAuthSigner {
    /// A digester for the body of `request`, to feed as the body streams and then sign with
    /// ``sign(_:bodyDigester:body:)``: a body of any size is signed without being held whole.
    ///
    /// `request.url` is set to the URL as AsyncHTTPClient will send it, which is what is signed.
    public func bodyDigester(for request: inout HTTPClientRequest, versions: [MAuthProtocolVersion]? = nil)
        throws(MAuthError) -> MAuthSigningDigester
    {
        request.url = SendableURL.asSentByAsyncHTTPClient(request.url)
        return try bodyDigester(
            method: request.method.rawValue, target: MAuthRequestTarget(url: request.url), versions: versions)
    }

    /// Signs `request` over the body `digester` was fed, and sets `body` as the body it sends.
    ///
    /// - Parameters:
    ///   - request: the request; its `url` is the one the digester was made for.
    ///   - digester: made by ``bodyDigester(for:versions:)`` for this request, and fed its body.
    ///   - body: the same bytes, to send; `nil` for none.
    public func sign(
        _ request: inout HTTPClientRequest, bodyDigester digester: MAuthSigningDigester,
        body: HTTPClientRequest.Body?
    ) throws(MAuthError) {
        let fields = try headers(for: digester)
        for name in HTTPField.Name.mauthSignatureFields {
            request.headers.remove(name: name.rawName)
        }
        for field in fields {
            request.headers.add(name: field.name.rawName, value: field.value)
        }
        request.body = body
    }

    /// Signs `request` over a spooled body and sets the body to stream from the spool, with its
    /// length: a body of any size is sent without being held whole.
    ///
    /// - Throws: ``/MAuth/MAuthError`` when the request cannot be signed,
    ///   ``/BodySpool/BodySpoolError`` when the spooled body cannot be read.
    public func sign(
        _ request: inout HTTPClientRequest, spooledBody: SpooledBody, versions: [MAuthProtocolVersion]? = nil
    ) throws {
        let digester = try bodyDigester(for: &request, versions: versions)
        try spooledBody.forEachPart { part in part.withUnsafeReadableBytes { digester.update($0) } }
        try sign(&request, bodyDigester: digester, body: .spooled(spooledBody))
    }
}

extension HTTPClientRequest.Body {
    /// A spooled body, sent from memory when it is there and streamed from its file otherwise,
    /// with its length.
    public static func spooled(_ body: SpooledBody) -> Self {
        if let buffer = body.memoryBuffer { return .bytes(buffer) }
        return .stream(body.chunks(), length: .known(Int64(body.byteCount)))
    }
}
