import Foundation
import HTTPTypes
import MAuthTestSupport
import Testing

@testable import MAuth

/// `MAuthSignatureExplainer` opens signatures and names what they were made over.
@Suite("Explaining signatures")
struct SignatureExplainerTests {
    static let explainer = MAuthSignatureExplainer(
        keyProvider: InMemoryPublicKeyProvider([Fixtures.appUUID: Fixtures.publicKey]))

    static func explain(_ target: String, headers: HTTPFields, method: String = "GET", body: String = "") async throws
        -> [MAuthSignatureExplanation]
    {
        try await explainer.explain(
            method: method, target: MAuthRequestTarget(target), headers: headers, body: Array(body.utf8))
    }

    static func signed(
        _ target: String, versions: [MAuthProtocolVersion], time: Int64 = Fixtures.time, body: String = "",
        key: MAuthPrivateKey = Fixtures.privateKey
    ) throws -> HTTPFields {
        let signer = try MAuthSigner(
            appUUID: Fixtures.appUUID, privateKey: key, versions: versions, clock: .fixed(time))
        return HTTPFields(try signer.headers(method: "GET", target: MAuthRequestTarget(target), body: Array(body.utf8)))
    }

    /// Headers that the Python reference client makes for `GET signedTarget` at `Fixtures.time`.
    static func pythonSigned(_ signedTarget: String, versions: String) async throws -> HTTPFields {
        let signed = try await IntegrationRequests.pythonSigned(
            versions: versions, cases: [IntegrationRequests.Case("GET", signedTarget)])
        return try #require(signed.first).fields
    }

    @Test("a signature over the expected string is said to match it, for each version")
    func matchesExpected() async throws {
        let explanations = try await Self.explain(
            "/v1/items?b=2&a=1", headers: Self.signed("/v1/items?b=2&a=1", versions: [.v1, .v2]))
        #expect(explanations.map(\.version) == [.v2, .v1])
        #expect(explanations.allSatisfy { $0.finding == .matchesExpected })
    }

    @Test("a signature made with another key does not open")
    func otherKey() async throws {
        let headers = try Self.signed("/x", versions: [.v1, .v2], key: Fixtures.otherPrivateKey)
        let explanations = try await Self.explain("/x", headers: headers)
        #expect(explanations.count == 2)
        #expect(explanations.allSatisfy { $0.finding == .notMadeWithThisKey })
        #expect(explanations[0].description.contains("not made with this app's key"))
    }

    @Test("a string that no client builds is reported with the expected string to sign")
    func noCandidate() async throws {
        let explanations = try await Self.explain("/r?a=2", headers: Self.signed("/r?a=1", versions: [.v2]))
        let explanation = try #require(explanations.first)
        #expect(explanation.finding == .noCandidateMatches)
        #expect(explanation.signedStringToSign == nil)
        #expect(explanation.description.contains("query   a=2"))
        #expect(explanation.description.contains("path    /r"))
    }

    @Test("a signature made at another time than the time header says is found within the drift")
    func otherTime() async throws {
        var headers = try Self.signed("/x", versions: [.v2], time: Fixtures.time - 42)
        headers[.mauthV2Time] = String(Fixtures.time)
        let explanation = try #require(try await Self.explain("/x", headers: headers).first)
        #expect(
            explanation.finding
                == .madeOverDifferentString(
                    "the time \(Fixtures.time - 42), -42 s from the MCC-Time header's \(Fixtures.time)"))
    }

    @Test(
        "a time header at the edge of Int64, or a negative drift, is explained without a trap",
        arguments: ["999999999999999999", "9223372036854775807", "-9223372036854775808", "+1", ""])
    func extremeTimes(time: String) async throws {
        var headers = try Self.signed("/x", versions: [.v2])
        headers[.mauthV2Time] = time
        let explanation = try #require(try await Self.explain("/x", headers: headers).first)
        #expect(explanation.finding == .noCandidateMatches)
        let negative = MAuthSignatureExplainer(
            keyProvider: InMemoryPublicKeyProvider([Fixtures.appUUID: Fixtures.publicKey]), allowedDrift: .seconds(-5))
        let explanations = try await negative.explain(
            method: "GET", target: MAuthRequestTarget("/x"), headers: headers, body: [UInt8]())
        #expect(explanations.count == 1)
    }

    @Test("a V1 signature in the V2 header is recognized")
    func otherVersion() async throws {
        let v1 = try Self.signed("/x", versions: [.v1])
        let signature = try #require(v1[.mauthV1Authentication]?.split(separator: ":").last)
        let headers: HTTPFields = [
            .mauthV2Authentication: "MWSV2 \(Fixtures.appUUID):\(signature);", .mauthV2Time: String(Fixtures.time),
        ]
        let explanation = try #require(try await Self.explain("/x", headers: headers).first)
        #expect(explanation.finding == .madeOverDifferentString("a v1 signature in the MCC-Authentication header"))
        #expect(explanation.signedVersion == .v1)
    }

    @Test("a body that was not signed is named")
    func unsignedBody() async throws {
        let headers = try Self.signed("/upload", versions: [.v1, .v2])
        let explanations = try await Self.explain("/upload", headers: headers, body: "{\"a\":1}")
        #expect(
            explanations.map(\.finding)
                == Array(repeating: .madeOverDifferentString("an empty body (the body was not signed)"), count: 2))
    }

    @Test("the V1 layout shows the body, line feeds and all, as its size and digest")
    func v1Layout() {
        let stringToSign = MAuthStringToSign.request(
            version: .v1, method: "POST", target: MAuthRequestTarget("/a"), body: Array("x\ny\n".utf8),
            appUUID: "app", time: "1")
        #expect(
            MAuthSignatureExplanation.layout(of: stringToSign, version: .v1) == [
                "method  POST", "path    /a",
                "body    4 bytes, SHA-512 \(String(decoding: SHA512.hexDigest(of: Array("x\ny\n".utf8)), as: UTF8.self))",
                "app     app", "time    1",
            ])
    }

    @Test(
        "requests the Python reference signs in its own ways get their explanation",
        .enabled(if: PythonReference.interpreter != nil, Comment(rawValue: PythonReference.absentMessage)),
        arguments: [
            // Python leaves '/' unencoded in query values.
            (
                "/files?r=%2Fhome%2F", "/files?r=%2Fhome%2F", "v2",
                "the query with '/' left unencoded (the Python client)"
            ),
            // Python cuts the last segment's ;parameters off.
            (
                "/a;p=1/b;v=2", "/a;p=1/b;v=2", "v2",
                "the path without the last segment's ;parameters (the Python client)"
            ),
            (
                "/a;p=1/b;v=2", "/a;p=1/b;v=2", "v1",
                "the path without the last segment's ;parameters (the Python client)"
            ),
            // A client handed the decoded path signs it as such.
            ("/files/a b", "/files/a%20b", "v2", "the percent-decoded path"),
            ("/files/a b", "/files/a%20b", "v1", "the percent-decoded path"),
        ])
    func pythonForms(signedTarget: String, receivedTarget: String, version: String, difference: String) async throws {
        let headers = try await Self.pythonSigned(signedTarget, versions: version)
        let explanation = try #require(try await Self.explain(receivedTarget, headers: headers).first)
        #expect(explanation.version == MAuthProtocolVersion(version))
        #expect(explanation.finding == .madeOverDifferentString(difference))
        #expect(explanation.description.contains(difference))
    }

    @Test(
        "a request the Python reference signs with another key is not made with this app's key",
        .enabled(if: PythonReference.interpreter != nil, Comment(rawValue: PythonReference.absentMessage)))
    func pythonWrongKey() async throws {
        let headers = try await Self.pythonSigned("/x", versions: "v1,v2")
        let explainer = MAuthSignatureExplainer(
            keyProvider: InMemoryPublicKeyProvider([Fixtures.appUUID: Fixtures.otherPrivateKey.publicKey]))
        let explanations = try await explainer.explain(
            method: "GET", target: MAuthRequestTarget("/x"), headers: headers, body: [UInt8]())
        #expect(explanations.map(\.finding) == [.notMadeWithThisKey, .notMadeWithThisKey])
    }

    @Test("an authenticator checking signatures through a MAuth service has no explainer")
    func remoteHasNone() {
        struct Remote: MAuthSignatureVerifier {
            func verify(_ check: MAuthSignatureCheck) async throws(MAuthError) {}
        }
        #expect(MAuthAuthenticator(verifier: Remote()).explainer == nil)
        #expect(Fixtures.authenticator().explainer != nil)
    }
}
