import Foundation
import HTTPTypes
import MAuthTestSupport
import Testing

@testable import MAuth

@Suite("Authentication header parsing (PROTOCOL.md §2.3)")
struct HeaderParsingTests {
    @Test(
        "V1 values that parse",
        arguments: [
            ("MWS abc:c2ln", "MWS", "abc", "c2ln"),
            ("  MWS abc:c2ln  ", "MWS", "abc", "c2ln"),
            ("MWS   abc:c2ln", "MWS", "abc", "c2ln"),
            ("MWS ABC-def:c2ln", "MWS", "ABC-def", "c2ln"),
        ]
    )
    func v1Parses(value: String, token: String, appUUID: String, signature: String) throws {
        let parsed = try AuthenticationHeaderValue.parse(value, version: .v1)
        #expect(parsed.token == token)
        #expect(parsed.appUUID == appUUID)
        #expect(parsed.signature == Array(signature.utf8))
    }

    @Test(
        "V1 token checked after parsing",
        arguments: [
            ("MWSabc:sig", "Token verification failed. Expected MWS; token was MWSab."),
            ("MWSV2 abc:sig", "Token verification failed. Expected MWS; token was MWSV2."),
        ]
    )
    func v1Token(value: String, message: String) {
        #expect(throws: MAuthError(.inauthentic, message)) { try AuthenticationHeaderValue.parse(value, version: .v1) }
    }

    @Test(
        "V1 values that do not parse",
        arguments: ["MWS", "MWS abc", "MWS abc:", "MWS :sig", "MWS a:b:c", ":sig", "M:sig"])
    func v1Malformed(value: String) {
        #expect(
            throws: MAuthError(
                .inauthentic, "X-MWS-Authentication header format incorrect; expected 'MWS <app_uuid>:<signature>'.")
        ) { try AuthenticationHeaderValue.parse(value, version: .v1) }
    }

    @Test("V2 value parses")
    func v2Parses() throws {
        let parsed = try AuthenticationHeaderValue.parse(" MWSV2 abc:c2ln; ", version: .v2)
        #expect(parsed.token == "MWSV2")
        #expect(parsed.appUUID == "abc")
        #expect(parsed.signature == Array("c2ln".utf8))
    }

    @Test(
        "V2 values that do not parse",
        arguments: [
            "MWSV2 abc:sig", "MWSV2 abc:sig;x", "MWSV2 abc:sig;;", "MWSV2 abc:s:g;", "MWSV2 :sig;", "MWSV2 abc:;",
            "MWSV2abc:sig;", "x MWSV2 abc:sig;",
        ]
    )
    func v2Malformed(value: String) {
        #expect(throws: MAuthError.self) { try AuthenticationHeaderValue.parse(value, version: .v2) }
    }

    @Test("V2 with the V1 token")
    func v2Token() {
        #expect(throws: MAuthError(.inauthentic, "Token verification failed. Expected MWSV2.")) {
            try AuthenticationHeaderValue.parse("MWS abc:sig;", version: .v2)
        }
    }
}
