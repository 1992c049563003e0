import Foundation
import HTTPTypes
public import MAuth

#if canImport(FoundationNetworking)
    public import FoundationNetworking
#endif

extension MAuthSigner {
    /// Signs a Foundation `URLRequest` (URLSession), with `httpBody` as the body.
    ///
    /// The signature covers the method, the URL's path and query exactly as they will be sent
    /// (still percent-encoded, trailing slash kept) and the body. Empty `&` pieces are removed
    /// from the query first. A body given as a stream cannot be signed: set `httpBody`.
    public func sign(_ request: inout URLRequest, versions: [MAuthProtocolVersion]? = nil) throws(MAuthError) {
        guard let url = request.url else {
            throw MAuthError(.unableToSign, "the request has no URL")
        }
        guard request.httpBodyStream == nil else {
            throw MAuthError(.unableToSign, "a body stream cannot be signed; set httpBody to the body's bytes")
        }
        let adjusted = SendableURL.droppingEmptyQueryPieces(url.absoluteString)
        if adjusted != url.absoluteString, let adjustedURL = URL(string: adjusted) {
            request.url = adjustedURL
        }
        let fields = try headers(
            method: request.httpMethod ?? "GET",
            target: MAuthRequestTarget(url: adjusted),
            body: Array(request.httpBody ?? Data()),
            versions: versions
        )
        for name in HTTPField.Name.mauthSignatureFields {
            request.setValue(nil, forHTTPHeaderField: name.rawName)
        }
        for field in fields {
            request.setValue(field.value, forHTTPHeaderField: field.name.rawName)
        }
    }
}
