import Foundation
import HTTPPipeline
import HTTPTypes
import MAuth

/// A ticket posted to `authentication_tickets.json`: a signed request, described (PROTOCOL.md
/// §7.2).
struct AuthenticationTicket {
    let verb: String
    let appUUID: String
    let signature: String
    let requestURL: String
    let requestTime: String
    let body: [UInt8]
    let queryString: String
    let token: String

    /// Reads a ticket document; a malformed one is a 400 that names the problem.
    init(json: Data) throws {
        guard let document = try? JSONSerialization.jsonObject(with: json) as? [String: Any] else {
            throw HTTPError(.badRequest, message: "The body is not a JSON object.")
        }
        guard let ticket = document["authentication_ticket"] as? [String: Any] else {
            throw HTTPError(.badRequest, message: "The body has no 'authentication_ticket' object.")
        }
        func text(_ name: String, required: Bool = true) throws -> String {
            if let value = ticket[name] as? String { return value }
            if let number = ticket[name] as? NSNumber, name == "request_time" { return number.stringValue }
            guard !required, ticket[name] == nil || ticket[name] is NSNull else {
                throw HTTPError(.badRequest, message: "The ticket's '\(name)' is missing or not a string.")
            }
            return ""
        }
        verb = try text("verb")
        appUUID = try text("app_uuid")
        signature = try text("client_signature")
        requestURL = try text("request_url")
        requestTime = try text("request_time")
        queryString = try text("query_string", required: false)
        token = try text("token", required: false)
        let encodedBody = try text("b64encoded_body", required: false)
        guard let body = Data(base64Encoded: encodedBody, options: .ignoreUnknownCharacters) else {
            throw HTTPError(.badRequest, message: "The ticket's 'b64encoded_body' is not Base64.")
        }
        self.body = Array(body)
    }

    /// The authentication headers the signed request carried: V2 when the ticket names the
    /// `MWSV2` token, V1 otherwise.
    var headers: HTTPFields {
        let version: MAuthProtocolVersion = token == MAuthProtocolVersion.v2.token ? .v2 : .v1
        // The Clojure client sends the V2 signature with its header's closing `;` still on.
        let terminator = version.headerTerminator
        let bareSignature =
            !terminator.isEmpty && signature.hasSuffix(terminator) ? String(signature.dropLast()) : signature
        return [
            version.authenticationHeader: version.authenticationHeaderValue(appUUID: appUUID, signature: bareSignature),
            version.timeHeader: requestTime,
        ]
    }
}
