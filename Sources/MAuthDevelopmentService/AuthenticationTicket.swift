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
        let ticket: AuthenticationTicketDocument.Ticket
        do {
            ticket = try JSONDecoder().decode(AuthenticationTicketDocument.self, from: json).authenticationTicket
        } catch let error as DecodingError {
            throw HTTPError(.badRequest, message: Self.problem(error))
        }
        verb = ticket.verb
        appUUID = ticket.appUUID
        signature = ticket.clientSignature
        requestURL = ticket.requestURL
        requestTime = ticket.requestTime
        queryString = ticket.queryString ?? ""
        token = ticket.token ?? ""
        guard let body = Data(base64Encoded: ticket.base64Body ?? "", options: .ignoreUnknownCharacters) else {
            throw HTTPError(.badRequest, message: "The ticket's 'b64encoded_body' is not Base64.")
        }
        self.body = Array(body)
    }

    /// What is wrong with a ticket document, in a sentence that names the member.
    private static func problem(_ error: DecodingError) -> String {
        let path: [any CodingKey]
        switch error {
        case .keyNotFound(let key, let context): path = context.codingPath + [key]
        case .typeMismatch(_, let context), .valueNotFound(_, let context): path = context.codingPath
        case .dataCorrupted(let context): path = context.codingPath
        @unknown default: path = []
        }
        switch path.map(\.stringValue) {
        case []: return "The body is not a JSON object."
        case ["authentication_ticket"]: return "The body has no 'authentication_ticket' object."
        case let names: return "The ticket's '\(names.last!)' is missing or not a string."
        }
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
