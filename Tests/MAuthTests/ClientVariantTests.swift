import Foundation
import HTTPTypes
import MAuthTestSupport
import Testing

@testable import MAuth

/// Signatures made over the canonical forms that other clients produce (PROTOCOL.md §4
/// disagreement tables) are accepted, and only by an authenticator that allows them.
@Suite("Other clients' canonicalization quirks")
struct ClientVariantTests {
    /// V2 headers whose signature covers `path` and `query` as written, not as this library would
    /// canonicalize them.
    func headers(signingPath path: String, query: String) -> HTTPFields {
        let time = String(Fixtures.time)
        let stringToSign = MAuthStringToSign.v2Request(
            method: "GET", normalizedPath: path.bytes, bodyDigest: SHA512.hexDigest(of: [UInt8]()),
            appUUID: Fixtures.appUUID, time: time, canonicalQuery: query.bytes
        )
        let signature = try! Fixtures.signer(versions: [.v2]).signature(of: stringToSign, version: .v2)
        return [
            .mauthV2Authentication: "MWSV2 \(Fixtures.appUUID):\(signature);",
            .mauthV2Time: time,
        ]
    }

    @Test(
        "accepted forms",
        arguments: [
            ("/r?r=%2Fhome%2F", "/r", "r=/home/"),  // Python leaves / unencoded
            ("/r?a=1&", "/r", "a=1"),  // Ruby drops trailing empty pieces
            ("/r?&a=1&&b=2", "/r", "a=1&b=2"),  // the JVM drops all empty pieces
            ("/r?k=%FF", "/r", "k=%EF%BF%BD"),  // Python and the JVM replace invalid UTF-8
            ("/a//../b", "/a/b", ""),  // Ruby removes dot segments before collapsing slashes
            ("/a/b//..?x=%2F", "/a/b/", "x=/"),  // both at once
            ("/a;p=1/b;v=2", "/a;p=1/b", ""),  // Python cuts ;parameters off the last segment
        ]
    )
    func accepted(target: String, signedPath: String, signedQuery: String) async throws {
        let headers = headers(signingPath: signedPath, query: signedQuery)
        let identity = try await Fixtures.authenticator().authenticate(
            method: "GET", target: MAuthRequestTarget(target), headers: headers, body: [UInt8]()
        )
        #expect(identity.version == .v2)
        await #expect(throws: MAuthError(.inauthentic, "Signature verification failed for request.")) {
            try await Fixtures.authenticator(acceptsClientVariants: false).authenticate(
                method: "GET", target: MAuthRequestTarget(target), headers: headers, body: [UInt8]()
            )
        }
    }

    @Test("V1: Python's path without the last segment's ;parameters is accepted")
    func pythonParametersV1() async throws {
        let time = String(Fixtures.time)
        let stringToSign = MAuthStringToSign.request(
            version: .v1, method: "GET", target: MAuthRequestTarget("/a;p=1/b"), body: [UInt8](),
            appUUID: Fixtures.appUUID, time: time
        )
        let signature = try Fixtures.signer(versions: [.v1]).signature(of: stringToSign, version: .v1)
        let headers: HTTPFields = [.mauthV1Authentication: "MWS \(Fixtures.appUUID):\(signature)", .mauthV1Time: time]
        let identity = try await Fixtures.authenticator().authenticate(
            method: "GET", target: MAuthRequestTarget("/a;p=1/b;v=2"), headers: headers, body: [UInt8]()
        )
        #expect(identity.version == .v1)
    }

    @Test("lossy forms of other clients are not accepted")
    func lossyFormsRejected() async {
        // .NET turns an encoded plus into a space; the JVM cuts values at a second '='.
        for (target, signedQuery) in [("/r?k=%2B", "k=%20"), ("/r?a=b=c", "a=b")] {
            let headers = headers(signingPath: "/r", query: signedQuery)
            await #expect(throws: MAuthError.self) {
                try await Fixtures.authenticator().authenticate(
                    method: "GET", target: MAuthRequestTarget(target), headers: headers, body: [UInt8]()
                )
            }
        }
    }
}
