import Foundation
import HTTPTypes
import Logging
import MAuthTestSupport
import MetricsTestKit
import Testing

@testable import MAuth

@Suite("Authentication rules (PROTOCOL.md §6)")
struct AuthenticatorTests {
    let body = #"{"a":1}"#.bytes

    func signedHeaders(
        _ versions: [MAuthProtocolVersion], time: Int64 = Fixtures.time, target: String = "/v1/items?b=2&a=1"
    )
        -> HTTPFields
    {
        try! Fixtures.signer(versions: versions, time: time).headers(
            method: "POST", target: MAuthRequestTarget(target), body: body
        )
    }

    func authenticate(
        _ headers: HTTPFields,
        target: String = "/v1/items?b=2&a=1",
        body: [UInt8]? = nil,
        authenticator: MAuthAuthenticator = Fixtures.authenticator()
    ) async throws(MAuthError) -> MAuthIdentity {
        try await authenticator.authenticate(
            method: "POST", target: MAuthRequestTarget(target), headers: headers, body: body ?? self.body
        )
    }

    func failure(
        _ headers: HTTPFields,
        target: String = "/v1/items?b=2&a=1",
        body: [UInt8]? = nil,
        authenticator: MAuthAuthenticator = Fixtures.authenticator()
    ) async -> MAuthError? {
        do {
            _ = try await authenticate(headers, target: target, body: body, authenticator: authenticator)
            return nil
        } catch {
            return error
        }
    }

    @Test("V1, V2 and both authenticate; V2 is preferred", arguments: [[MAuthProtocolVersion.v1], [.v2], [.v1, .v2]])
    func authentic(versions: [MAuthProtocolVersion]) async throws {
        let identity = try await authenticate(signedHeaders(versions))
        #expect(identity == MAuthIdentity(appUUID: Fixtures.appUUID, version: versions.max()!))
    }

    @Test("header names are matched case-insensitively")
    func caseInsensitiveNames() async throws {
        var lowered = HTTPFields()
        for field in signedHeaders([.v2]) {
            lowered.append(HTTPField(name: HTTPField.Name(field.name.rawName.lowercased())!, value: field.value))
        }
        #expect(try await authenticate(lowered).version == .v2)
    }

    @Test("drift window is inclusive in both directions", arguments: [-300, 300, 0])
    func driftInside(offset: Int64) async throws {
        let authenticator = Fixtures.authenticator(now: Fixtures.time + offset)
        for version in MAuthProtocolVersion.all {
            #expect(try await authenticate(signedHeaders([version]), authenticator: authenticator).version == version)
        }
    }

    @Test("outside the drift window is inauthentic, past and future", arguments: [-301, 301, 100_000])
    func driftOutside(offset: Int64) async {
        let now = Fixtures.time + offset
        let error = await failure(signedHeaders([.v2]), authenticator: Fixtures.authenticator(now: now))
        #expect(
            error == MAuthError(.inauthentic, "Time verification failed. \(Fixtures.time) not within 300s of \(now)"))
    }

    @Test("the drift window is configurable")
    func configurableDrift() async {
        let authenticator = MAuthAuthenticator(
            keyProvider: InMemoryPublicKeyProvider([Fixtures.appUUID: Fixtures.publicKey]),
            options: .init(allowedDrift: .seconds(10), clock: .fixed(Fixtures.time + 11))
        )
        #expect(await failure(signedHeaders([.v1]), authenticator: authenticator)?.code == .inauthentic)
    }

    @Test("no signature at all")
    func noSignature() async {
        #expect(
            await failure(HTTPFields())
                == MAuthError(
                    .inauthentic,
                    "Authentication Failed. No mAuth signature present; X-MWS-Authentication header is blank, MCC-Authentication header is blank."
                )
        )
        #expect(
            await failure(HTTPFields(), authenticator: Fixtures.authenticator(v2Only: true))
                == MAuthError(
                    .inauthentic,
                    "Authentication Failed. No mAuth signature present; MCC-Authentication header is blank."
                )
        )
    }

    @Test("V2-only rejects V1-only requests and accepts V2")
    func v2Only() async throws {
        let authenticator = Fixtures.authenticator(v2Only: true)
        #expect(
            await failure(signedHeaders([.v1]), authenticator: authenticator)
                == MAuthError(
                    .inauthentic,
                    "This service requires mAuth v2 mcc-authentication header but only v1 x-mws-authentication is present"
                )
        )
        #expect(try await authenticate(signedHeaders([.v1, .v2]), authenticator: authenticator).version == .v2)
    }

    /// Both versions signed, then the V2 signature spoiled.
    func spoiledV2() -> HTTPFields {
        var headers = signedHeaders([.v1, .v2])
        let good = headers[.mauthV2Authentication]!
        headers[.mauthV2Authentication] = String(good.dropLast(6)) + "AAAA=;"
        return headers
    }

    @Test("an inauthentic V2 signature falls back to V1, with a warning that names the caller, and a count")
    func fallback() async throws {
        let (logger, records) = RecordingLogHandler.logger(level: .info)
        let metrics = TestMetrics()
        let authenticator = MAuthAuthenticator(
            keyProvider: InMemoryPublicKeyProvider([Fixtures.appUUID: Fixtures.publicKey]),
            options: .init(clock: .fixed(Fixtures.time)), logger: logger, metricsFactory: metrics)
        #expect(try await authenticate(spoiledV2(), authenticator: authenticator).version == .v1)

        let warning = try #require(records.all.first { $0.level == .warning })
        #expect(warning.message == "Completed successful authentication attempt after fallback to v1")
        #expect(warning.metadata["mauth.app_uuid"] == "\(Fixtures.appUUID)")
        #expect(warning.metadata["http.method"] == "POST")
        #expect(warning.metadata["http.path"] == "/v1/items")
        #expect(warning.metadata["mauth.v2_failure"]?.description.hasPrefix("Signature verification failed") == true)
        #expect(try metrics.expectCounter("mauth_v1_fallbacks_total").totalValue == 1)
        #expect(
            try metrics.expectCounter("mauth_authentications_total", [("result", "authentic"), ("version", "v1")])
                .totalValue == 1)
    }

    @Test("no fallback when V2-only or when fallback is disabled")
    func noFallback() async {
        for authenticator in [Fixtures.authenticator(v2Only: true), Fixtures.authenticator(fallbackToV1: false)] {
            #expect(
                await failure(spoiledV2(), authenticator: authenticator)
                    == MAuthError(.inauthentic, "Signature verification failed for request.")
            )
        }
    }

    @Test("fallback disabled still accepts V1-only requests")
    func disabledFallbackAcceptsV1() async throws {
        #expect(
            try await authenticate(signedHeaders([.v1]), authenticator: Fixtures.authenticator(fallbackToV1: false))
                .version == .v1)
    }

    @Test("when V1 is missing or malformed, the V2 error is reported")
    func fallbackWithoutV1() async {
        var headers = spoiledV2()
        headers[.mauthV1Authentication] = "garbage"
        #expect(await failure(headers) == MAuthError(.inauthentic, "Signature verification failed for request."))
        headers[.mauthV1Authentication] = nil
        #expect(await failure(headers) == MAuthError(.inauthentic, "Signature verification failed for request."))
    }

    @Test("no fallback on unable-to-authenticate")
    func noFallbackWhenUnable() async {
        struct Failing: PublicKeyProvider {
            func publicKey(forAppUUID appUUID: String) async throws -> MAuthPublicKey? {
                throw MAuthError(.unableToAuthenticate, "service down")
            }
        }
        let authenticator = MAuthAuthenticator(keyProvider: Failing(), options: .init(clock: .fixed(Fixtures.time)))
        #expect(
            await failure(signedHeaders([.v1, .v2]), authenticator: authenticator)
                == MAuthError(.unableToAuthenticate, "service down"))
    }

    @Test("a provider's own error becomes unable-to-authenticate")
    func providerError() async {
        struct Broken: Error, CustomStringConvertible {
            var description: String { "connection refused" }
        }
        struct Failing: PublicKeyProvider {
            func publicKey(forAppUUID appUUID: String) async throws -> MAuthPublicKey? { throw Broken() }
        }
        let authenticator = MAuthAuthenticator(keyProvider: Failing(), options: .init(clock: .fixed(Fixtures.time)))
        let error = await failure(signedHeaders([.v2]), authenticator: authenticator)
        #expect(
            error
                == MAuthError(
                    .unableToAuthenticate, "Failed to fetch the public key for \(Fixtures.appUUID): connection refused")
        )
    }

    @Test("unknown app is inauthentic")
    func unknownApp() async {
        let headers = try! Fixtures.signer(versions: [.v2], appUUID: "00000000-0000-0000-0000-000000000000").headers(
            method: "POST", target: MAuthRequestTarget("/v1/items?b=2&a=1"), body: body
        )
        #expect(
            await failure(headers)
                == MAuthError(.inauthentic, "No public key is registered for app 00000000-0000-0000-0000-000000000000.")
        )
    }

    @Test("a signature by another app's key is inauthentic")
    func wrongKey() async {
        let signer = try! MAuthSigner(
            appUUID: Fixtures.otherAppUUID, privateKey: Fixtures.privateKey, versions: [.v1, .v2],
            clock: .fixed(Fixtures.time)
        )
        let headers = try! signer.headers(method: "POST", target: MAuthRequestTarget("/v1/items?b=2&a=1"), body: body)
        #expect(await failure(headers)?.code == .inauthentic)
    }

    @Test("tampering with body, path, query or time is detected", arguments: [MAuthProtocolVersion.v1, .v2])
    func tampering(version: MAuthProtocolVersion) async {
        let headers = signedHeaders([version])
        #expect(
            await failure(headers, body: #"{"a":2}"#.bytes)
                == MAuthError(.inauthentic, "Signature verification failed for request."))
        #expect(await failure(headers, target: "/v1/other?b=2&a=1")?.code == .inauthentic)
        var retimed = headers
        retimed[version.timeHeader] = String(Fixtures.time + 1)
        #expect(await failure(retimed) == MAuthError(.inauthentic, "Signature verification failed for request."))
        if version == .v2 {
            #expect(await failure(headers, target: "/v1/items?b=3&a=1")?.code == .inauthentic)
        } else {
            #expect(await failure(headers, target: "/v1/items?b=3&a=1") == nil, "V1 does not sign the query")
        }
    }

    @Test("a V2 signature is checked against the normalized path and canonical query")
    func canonicalEquivalence() async throws {
        let headers = signedHeaders([.v2], target: "/v1/./items?b=2&a=1")
        #expect(try await authenticate(headers, target: "//v1/items/../items?a=1&b=%32").version == .v2)
    }

    @Test(
        "time header format",
        arguments: [
            ("", "Time verification failed. No MCC-Time present."),
            ("12a", "Time verification failed. MCC-Time header format incorrect."),
            ("-1585082925", "Time verification failed. MCC-Time header format incorrect."),
            ("1234567890123456789", "Time verification failed. MCC-Time header format incorrect."),
            ("1585082925.0", "Time verification failed. MCC-Time header format incorrect."),
        ]
    )
    func timeFormat(value: String, message: String) async {
        var headers = signedHeaders([.v2])
        headers[.mauthV2Time] = value.isEmpty ? nil : value
        #expect(await failure(headers) == MAuthError(.inauthentic, message))
    }

    @Test("the time header is used as received: leading zeros change the string to sign")
    func timeAsReceived() async {
        var headers = signedHeaders([.v1])
        headers[.mauthV1Time] = "0" + String(Fixtures.time)
        #expect(await failure(headers) == MAuthError(.inauthentic, "Signature verification failed for request."))
    }

    @Test("a protocol header sent twice is inauthentic")
    func duplicates() async {
        for name in [HTTPField.Name.mauthV2Authentication, .mauthV2Time, .mauthV1Authentication, .mauthV1Time] {
            var headers = signedHeaders([.v1, .v2])
            headers.append(HTTPField(name: name, value: headers[name]!))
            #expect(
                await failure(headers)
                    == MAuthError(
                        .inauthentic, "Authentication Failed. The request has more than one \(name.rawName) header.")
            )
        }
        var headers = signedHeaders([.v1, .v2])
        headers.append(HTTPField(name: .mauthV1Time, value: headers[.mauthV1Time]!))
        headers.append(HTTPField(name: .mauthV2Time, value: headers[.mauthV2Time]!))
        #expect(
            await failure(headers)
                == MAuthError(
                    .inauthentic,
                    "Authentication Failed. The request has more than one \(HTTPField.Name.mauthV2Time.rawName) header."
                ))
    }

    @Test("a signature that is not Base64 is inauthentic")
    func badBase64() async {
        var headers = signedHeaders([.v2])
        headers[.mauthV2Authentication] = "MWSV2 \(Fixtures.appUUID):not*base64!;"
        #expect(
            await failure(headers)
                == MAuthError(
                    .inauthentic, "Signature verification failed for request. The signature is not valid Base64.")
        )
    }

    @Test("responses are signed and authenticated with the same types", arguments: [MAuthProtocolVersion.v1, .v2])
    func responses(version: MAuthProtocolVersion) async throws {
        var response = HTTPResponse(status: .created)
        let responseBody = #"{"id":7}"#.bytes
        try Fixtures.signer(versions: [version]).sign(&response, body: responseBody)
        let authenticator = Fixtures.authenticator()
        #expect(try await authenticator.authenticate(response, body: responseBody).version == version)
        var tampered = response
        tampered.status = .ok
        await #expect(throws: MAuthError(.inauthentic, "Signature verification failed for response.")) {
            try await authenticator.authenticate(tampered, body: responseBody)
        }
    }

    @Test("HTTPRequest heads are authenticated with their raw path")
    func httpRequest() async throws {
        var request = HTTPRequest(
            method: .get, scheme: "https", authority: "example.com", path: "/files/%E2%82%AC?q=a+b")
        try Fixtures.signer(versions: [.v1, .v2]).sign(&request, body: [UInt8]())
        #expect(try await Fixtures.authenticator().authenticate(request, body: [UInt8]()).version == .v2)
    }
}
