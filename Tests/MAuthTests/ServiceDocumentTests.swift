import Foundation
import MAuth
import Testing

/// The MAuth service's wire documents, as both sides of the exchange read and write them.
@Suite("MAuth service documents")
struct ServiceDocumentTests {
    @Test("a ticket's time may come as a JSON number or a string; optional members may be absent")
    func ticketTime() throws {
        let number = #"""
            {"authentication_ticket":{"verb":"GET","app_uuid":"a","client_signature":"s","request_url":"/",
            "request_time":1700000000}}
            """#
        let ticket = try JSONDecoder().decode(AuthenticationTicketDocument.self, from: Data(number.utf8))
            .authenticationTicket
        #expect(ticket.requestTime == "1700000000")
        #expect(ticket.base64Body == nil && ticket.queryString == nil && ticket.token == nil)
        let text = number.replacingOccurrences(of: "1700000000", with: #""1700000000""#)
        #expect(
            try JSONDecoder().decode(AuthenticationTicketDocument.self, from: Data(text.utf8))
                == .init(authenticationTicket: ticket))
    }

    @Test("a V1 ticket is written without the V2 members, and reads back the same")
    func ticketRoundTrip() throws {
        let ticket = AuthenticationTicketDocument(
            authenticationTicket: .init(
                verb: "POST", appUUID: "a", clientSignature: "x/y+z==", requestURL: "/p", requestTime: "1",
                base64Body: "", queryString: nil, token: nil))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let text = String(decoding: try encoder.encode(ticket), as: UTF8.self)
        #expect(
            text
                == #"{"authentication_ticket":{"app_uuid":"a","b64encoded_body":"","client_signature":"x/y+z==","request_time":"1","request_url":"/p","verb":"POST"}}"#
        )
        #expect(try JSONDecoder().decode(AuthenticationTicketDocument.self, from: Data(text.utf8)) == ticket)
    }

    @Test("a security token needs only its key; other members are read when present")
    func securityToken() throws {
        let full = #"""
            {"security_token":{"app_name":"n","app_uuid":"u","public_key_str":"PEM","created_at":"2026-01-01T00:00:00Z",
            "extra":true}}
            """#
        let token = try JSONDecoder().decode(SecurityTokenDocument.self, from: Data(full.utf8)).securityToken
        #expect(token == .init(appName: "n", appUUID: "u", publicKeyText: "PEM", createdAt: "2026-01-01T00:00:00Z"))
        let bare = try JSONDecoder().decode(
            SecurityTokenDocument.self, from: Data(#"{"security_token":{"public_key_str":"PEM"}}"#.utf8))
        #expect(bare.securityToken.publicKeyText == "PEM")
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(SecurityTokenDocument.self, from: Data(#"{"security_token":{}}"#.utf8))
        }
    }
}
