import Foundation
public import MAuth
import NIOHTTP1

/// Asks a MAuth service to check each signature (remote mode, PROTOCOL.md §7.2).
///
/// The authenticator still checks time, token and header form first; this verifier then posts
/// an authentication ticket, signed with the app's own identity. A 2xx answer is authentic, 412
/// and 404 are inauthentic, anything else means authenticity could not be determined.
public struct MAuthRemoteVerifier: MAuthSignatureVerifier {
    /// The client that talks to the service.
    public let client: MAuthServiceClient

    /// Creates a verifier for the service behind `client`.
    public init(client: MAuthServiceClient) {
        self.client = client
    }

    /// Posts `check` to the service as an authentication ticket (the V1 or V2 field set).
    ///
    /// - Parameter check: the signature and what it should cover; only requests can be checked.
    /// - Throws: ``/MAuth/MAuthError``: inauthentic when the service answers 412 or 404; unable to
    ///   authenticate for a response, any other status, or a service that cannot be reached.
    public func verify(_ check: MAuthSignatureCheck) async throws(MAuthError) {
        guard let method = check.method, let target = check.target else {
            throw MAuthError(.unableToAuthenticate, "a MAuth service can only authenticate requests, not responses")
        }
        let ticket = AuthenticationTicketDocument.Ticket(
            verb: method,
            appUUID: check.appUUID,
            clientSignature: check.signatureBase64,
            requestURL: target.path,
            requestTime: check.time,
            base64Body: Data(check.body).base64EncodedString(),
            // A V1 ticket, like a V1 signature, predates the query and the token.
            queryString: check.version.signsQuery ? target.query : nil,
            token: check.version.signsQuery ? check.version.token : nil
        )
        let document: Data
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            document = try encoder.encode(AuthenticationTicketDocument(authenticationTicket: ticket))
        } catch {
            throw MAuthError(.unableToAuthenticate, "could not write the authentication ticket: \(error)")
        }
        let reply = try await client.send(.POST, "authentication_tickets.json", json: Array(document))
        switch reply.status {
        case 200..<300:
            return
        case 404, 412:
            throw MAuthError(
                .inauthentic, "The mAuth service responded with \(reply.status): \(reply.bodyText.prefix(200))")
        default:
            throw MAuthError(
                .unableToAuthenticate, "The mAuth service responded with \(reply.status): \(reply.bodyText.prefix(200))"
            )
        }
    }
}
