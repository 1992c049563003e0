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
        var ticket: [String: String] = [
            "verb": method,
            "app_uuid": check.appUUID,
            "client_signature": check.signatureBase64,
            "request_url": target.path,
            "request_time": check.time,
            "b64encoded_body": Data(check.body).base64EncodedString(),
        ]
        if check.version == .v2 {
            ticket["query_string"] = target.query
            ticket["token"] = check.version.token
        }
        let document: Data
        do {
            document = try JSONSerialization.data(
                withJSONObject: ["authentication_ticket": ticket], options: [.sortedKeys])
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
