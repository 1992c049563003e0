import Foundation
import HTTPTypes
import MAuthTestSupport
import Synchronization
import Testing

@testable import MAuth

@Suite("Signer (PROTOCOL.md §2)")
struct SignerTests {
    @Test("both versions share one timestamp and V2 comes first")
    func headerPairs() throws {
        let counter = TickingClock(start: Fixtures.time)
        let signer = try MAuthSigner(
            appUUID: Fixtures.appUUID, privateKey: Fixtures.privateKey, versions: [.v1, .v2], clock: counter.clock
        )
        let headers = try signer.headers(method: "GET", target: MAuthRequestTarget("/"), body: [UInt8]())
        #expect(headers.map(\.name) == [.mauthV2Authentication, .mauthV2Time, .mauthV1Authentication, .mauthV1Time])
        #expect(headers[.mauthV1Time] == String(Fixtures.time))
        #expect(headers[.mauthV2Time] == String(Fixtures.time))
        #expect(headers[.mauthV2Authentication]!.hasPrefix("MWSV2 \(Fixtures.appUUID):"))
        #expect(headers[.mauthV2Authentication]!.hasSuffix(";"))
        #expect(headers[.mauthV1Authentication]!.hasPrefix("MWS \(Fixtures.appUUID):"))
        #expect(headers[.mauthV1Authentication]!.count == "MWS \(Fixtures.appUUID):".count + 344)
    }

    @Test("the default signs V1 only, like the other clients")
    func defaultVersion() throws {
        let signer = try MAuthSigner(appUUID: Fixtures.appUUID, privateKey: Fixtures.privateKey)
        #expect(signer.versions == [.v1])
        let headers = try signer.headers(method: "GET", target: MAuthRequestTarget("/"), body: [UInt8]())
        #expect(headers.map(\.name) == [.mauthV1Authentication, .mauthV1Time])
    }

    @Test("signing in place replaces earlier MAuth headers and keeps the rest")
    func signInPlace() throws {
        var request = HTTPRequest(method: .post, scheme: "http", authority: "h", path: "/a?b=1")
        request.headerFields[.contentType] = "application/json"
        request.headerFields[.mauthV1Authentication] = "MWS stale:stale"
        request.headerFields[.mauthV2Time] = "1"
        try Fixtures.signer(versions: [.v2]).sign(&request, body: "{}".bytes)
        #expect(request.headerFields[.contentType] == "application/json")
        #expect(request.headerFields[.mauthV1Authentication] == nil)
        #expect(request.headerFields[values: .mauthV2Time] == [String(Fixtures.time)])
    }

    @Test("signatures match the protocol test suite's key and vectors")
    func deterministicSignature() throws {
        let signer = Fixtures.signer(versions: [.v1])
        let stringToSign = "GET\n/\n\n\(Fixtures.appUUID)\n\(Fixtures.time)".bytes
        let expected = try String(
            contentsOf: Fixtures.suiteDirectory.appendingPathComponent("protocols/MWS/get-vanilla/get-vanilla.sig"),
            encoding: .utf8
        )
        #expect(
            try signer.signature(of: stringToSign, version: .v1)
                == expected.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test("invalid signer settings are refused")
    func invalidSettings() {
        #expect(throws: MAuthError.self) { try MAuthSigner(appUUID: "", privateKey: Fixtures.privateKey) }
        #expect(throws: MAuthError.self) { try MAuthSigner(appUUID: "a:b", privateKey: Fixtures.privateKey) }
        #expect(throws: MAuthError(.unableToSign, "no protocol version to sign with; choose v1, v2 or both")) {
            try MAuthSigner(appUUID: "app", privateKey: Fixtures.privateKey, versions: [])
        }
        #expect(throws: MAuthError(.unableToSign, "Missing required attributes to sign: verb")) {
            try Fixtures.signer(versions: [.v1]).headers(method: "", target: MAuthRequestTarget("/"), body: [UInt8]())
        }
    }

    @Test(
        "version lists",
        arguments: [("v1", [MAuthProtocolVersion.v1]), ("V2", [.v2]), ("v2, v1", [.v1, .v2]), ("v1,v1", [.v1])])
    func versionLists(text: String, expected: [MAuthProtocolVersion]) throws {
        #expect(try MAuthProtocolVersion.list(from: text) == expected)
    }

    @Test("bad version lists name the item", arguments: ["v3", "", "v1,", "1"])
    func badVersionLists(text: String) {
        #expect(throws: MAuthError.self) { try MAuthProtocolVersion.list(from: text) }
    }
}

/// A clock that moves one second each time it is read.
final class TickingClock: Sendable {
    private let start: Int64
    private let reads = Atomic<Int64>(0)

    init(start: Int64) {
        self.start = start
    }

    var clock: MAuthClock {
        MAuthClock { [self] in start + reads.add(1, ordering: .relaxed).oldValue }
    }
}
