/// What `POST /mauth/v1/authentication_tickets.json` carries: a signed request, described, for
/// the MAuth service to authenticate (PROTOCOL.md §7.2).
///
/// `MAuthService`'s remote verifier writes it; `MAuthDevelopmentService` reads it.
package struct AuthenticationTicketDocument: Codable, Sendable, Equatable {
    /// The document's one member.
    package struct Ticket: Codable, Sendable, Equatable {
        package var verb: String
        package var appUUID: String
        /// The signature as the authentication header carried it.
        package var clientSignature: String
        /// The raw path.
        package var requestURL: String
        /// The time header's value. Some clients send it as a JSON number.
        package var requestTime: String
        /// The body in Base64; absent for an empty body.
        package var base64Body: String?
        /// The raw query (V2 tickets).
        package var queryString: String?
        /// The protocol token, `MWSV2` for a V2 signature; absent for V1.
        package var token: String?

        package init(
            verb: String, appUUID: String, clientSignature: String, requestURL: String, requestTime: String,
            base64Body: String?, queryString: String?, token: String?
        ) {
            self.verb = verb
            self.appUUID = appUUID
            self.clientSignature = clientSignature
            self.requestURL = requestURL
            self.requestTime = requestTime
            self.base64Body = base64Body
            self.queryString = queryString
            self.token = token
        }

        package init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            verb = try container.decode(String.self, forKey: .verb)
            appUUID = try container.decode(String.self, forKey: .appUUID)
            clientSignature = try container.decode(String.self, forKey: .clientSignature)
            requestURL = try container.decode(String.self, forKey: .requestURL)
            if let seconds = try? container.decode(Int64.self, forKey: .requestTime) {
                requestTime = String(seconds)
            } else {
                requestTime = try container.decode(String.self, forKey: .requestTime)
            }
            base64Body = try container.decodeIfPresent(String.self, forKey: .base64Body)
            queryString = try container.decodeIfPresent(String.self, forKey: .queryString)
            token = try container.decodeIfPresent(String.self, forKey: .token)
        }

        enum CodingKeys: String, CodingKey {
            case verb
            case appUUID = "app_uuid"
            case clientSignature = "client_signature"
            case requestURL = "request_url"
            case requestTime = "request_time"
            case base64Body = "b64encoded_body"
            case queryString = "query_string"
            case token
        }
    }

    package var authenticationTicket: Ticket

    package init(authenticationTicket: Ticket) {
        self.authenticationTicket = authenticationTicket
    }

    enum CodingKeys: String, CodingKey {
        case authenticationTicket = "authentication_ticket"
    }
}
