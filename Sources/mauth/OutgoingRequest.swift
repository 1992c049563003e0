import Foundation
import HTTPTypes
import MAuth
import MAuthClient
import NIOCore

/// The request `mauth request` sends, built and signed once, whichever transport carries it.
struct OutgoingRequest: Sendable {
    /// The URL as sent: empty query pieces dropped and escaped as AsyncHTTPClient escapes it, so
    /// that both transports send, and sign, the same target.
    let url: String
    /// The host to connect to: the URL's host, without the brackets of an IPv6 literal.
    let host: String
    /// The port to connect to: the URL's, else the scheme's.
    let port: Int
    /// The signed head: method, scheme, authority, the target as sent, and every header field.
    let head: HTTPRequest
    /// The body; `nil` when there is none.
    let body: OutgoingBody?

    /// Builds the request and signs it with `signer`.
    ///
    /// - Parameters:
    ///   - method: the HTTP method, in any letter case.
    ///   - url: an absolute `http` or `https` URL.
    ///   - headers: extra header fields, sent as given.
    ///   - contentType: the body's content type; `application/json` when there is a body and
    ///     neither this nor `headers` names one.
    ///   - body: the body; `nil` for none. A file is read once here, in pieces, to sign it.
    ///   - signer: signs the method, the target as sent and the body.
    /// - Throws: ``CommandFailure`` when the method or URL cannot be sent, or the request cannot
    ///   be signed.
    init(
        method: String, url: String, headers: [HTTPField], contentType: String?, body: OutgoingBody?,
        signer: MAuthSigner
    ) async throws {
        let sentURL = SendableURL.asSentByAsyncHTTPClient(url)
        guard let requestMethod = HTTPRequest.Method(method.uppercased()),
            let components = URLComponents(string: sentURL), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty
        else {
            throw CommandFailure.usage("cannot send \(method) \(url)")
        }
        var head = HTTPRequest(
            method: requestMethod,
            scheme: scheme,
            authority: components.port.map { "\(host):\($0)" } ?? host,
            path: MAuthRequestTarget(url: sentURL).description
        )
        head.headerFields.append(contentsOf: headers)
        if body != nil, head.headerFields[.contentType] == nil {
            head.headerFields[.contentType] = contentType ?? "application/json"
        }
        do {
            let digester = try signer.bodyDigester(
                method: head.method.rawValue, target: MAuthRequestTarget(head.path ?? "/"))
            for try await piece in body?.pieces ?? OutgoingBody.bytes([]).pieces {
                piece.withUnsafeReadableBytes { digester.update($0) }
            }
            head.headerFields.replaceMAuthFields(with: try signer.headers(for: digester))
        } catch let error as MAuthError {
            throw CommandFailure(error.message)
        }
        self.url = sentURL
        // An IPv6 literal keeps its brackets in the authority but not in the address to connect to.
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        self.port = components.port ?? (scheme == "https" ? 443 : 80)
        self.head = head
        self.body = body
    }
}
