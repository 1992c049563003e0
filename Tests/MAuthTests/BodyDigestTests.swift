import HTTPTypes
import MAuthTestSupport
import Testing

@testable import MAuth

/// Authenticating from a body's digest, computed as the body streams, decides exactly as
/// authenticating from its bytes.
@Suite("Authentication from a streamed body's digest")
struct BodyDigestTests {
    private static let target = "/v1/items?b=2&a=1"

    /// A body of `count` bytes that is not all one byte.
    private static func body(_ count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
    }

    /// The digest of `body`, fed in pieces of `piece` bytes.
    private static func digest(
        of body: [UInt8], method: String = "POST", target: String = target, headers: HTTPFields, piece: Int
    ) -> MAuthBodyDigest {
        let digester = MAuthBodyDigester(method: method, target: MAuthRequestTarget(target), headers: headers)
        var offset = 0
        while offset < body.count {
            let end = min(offset + piece, body.count)
            digester.update(body[offset..<end])
            offset = end
        }
        return digester.finish()
    }

    /// What authenticating from the bytes and from the digest each gave: the identity or the error.
    private static func outcomes(
        headers: HTTPFields, body: [UInt8], signedBody: [UInt8]? = nil, target: String = target,
        authenticator: MAuthAuthenticator = Fixtures.authenticator()
    ) async -> (bytes: Result<MAuthIdentity, MAuthError>, digest: Result<MAuthIdentity, MAuthError>) {
        let requestTarget = MAuthRequestTarget(target)
        let fromBytes: Result<MAuthIdentity, MAuthError>
        do {
            fromBytes = .success(
                try await authenticator.authenticate(
                    method: "POST", target: requestTarget, headers: headers, body: body))
        } catch {
            fromBytes = .failure(error)
        }
        let fromDigest: Result<MAuthIdentity, MAuthError>
        do {
            fromDigest = .success(
                try await authenticator.authenticate(
                    method: "POST", target: requestTarget, headers: headers,
                    bodyDigest: digest(of: body, target: target, headers: headers, piece: 4_099)))
        } catch {
            fromDigest = .failure(error)
        }
        return (fromBytes, fromDigest)
    }

    @Test(
        "signed bodies of every size authenticate from their digest as from their bytes",
        arguments: [[MAuthProtocolVersion.v1], [.v2], [.v1, .v2]], [0, 1, 4_099, 200_000])
    func authentic(versions: [MAuthProtocolVersion], size: Int) async throws {
        let body = Self.body(size)
        let headers = try Fixtures.signer(versions: versions).headers(
            method: "POST", target: MAuthRequestTarget(Self.target), body: body)
        let (fromBytes, fromDigest) = await Self.outcomes(headers: headers, body: body)
        #expect(try fromBytes.get() == fromDigest.get())
        #expect(try fromDigest.get().version == versions.last)
    }

    @Test("a tampered body is inauthentic from its digest too", arguments: [[MAuthProtocolVersion.v1], [.v2]])
    func tampered(versions: [MAuthProtocolVersion]) async throws {
        let headers = try Fixtures.signer(versions: versions).headers(
            method: "POST", target: MAuthRequestTarget(Self.target), body: Self.body(10_000))
        var tampered = Self.body(10_000)
        tampered[9_999] ^= 1
        let (fromBytes, fromDigest) = await Self.outcomes(headers: headers, body: tampered)
        #expect(fromDigest == fromBytes)
        #expect(fromDigest == .failure(MAuthError(.inauthentic, "Signature verification failed for request.")))
    }

    @Test("a V2 signature that fails falls back to the V1 signature, from the digest")
    func fallback() async throws {
        let body = Self.body(50_000)
        var headers = try Fixtures.signer(versions: [.v1, .v2]).headers(
            method: "POST", target: MAuthRequestTarget(Self.target), body: body)
        headers[.mauthV2Time] = String(Fixtures.time + 1)
        let (fromBytes, fromDigest) = await Self.outcomes(headers: headers, body: body)
        #expect(fromDigest == fromBytes)
        #expect(try fromDigest.get().version == .v1)
    }

    @Test("the V1 string the Python client signs for a path with ;parameters is digested alongside")
    func pythonPathVariant() async throws {
        let body = Self.body(3_000)
        let time = String(Fixtures.time)
        let stringToSign = body.withUnsafeBytes {
            MAuthStringToSign.v1(head: ["POST", "/a/b"], body: $0, appUUID: Fixtures.appUUID, time: time)
        }
        let signature = try Fixtures.signer(versions: [.v1]).signature(of: stringToSign, version: .v1)
        let headers: HTTPFields = [
            .mauthV1Authentication: "MWS \(Fixtures.appUUID):\(signature)", .mauthV1Time: time,
        ]
        let (fromBytes, fromDigest) = await Self.outcomes(headers: headers, body: body, target: "/a/b;v=2")
        #expect(fromDigest == fromBytes)
        #expect(try fromDigest.get().version == .v1)
        let strict = Fixtures.authenticator(acceptsClientVariants: false)
        let refused = await Self.outcomes(headers: headers, body: body, target: "/a/b;v=2", authenticator: strict)
        #expect(refused.digest == refused.bytes)
        #expect(refused.digest == .failure(MAuthError(.inauthentic, "Signature verification failed for request.")))
    }

    @Test("a response's body authenticates from its digest", arguments: [MAuthProtocolVersion.v1, .v2])
    func response(version: MAuthProtocolVersion) async throws {
        let body = Self.body(70_000)
        var response = HTTPResponse(status: .created)
        try Fixtures.signer(versions: [version]).sign(&response, body: body)
        let digester = MAuthBodyDigester(responseStatus: 201, headers: response.headerFields)
        digester.update(body[..<1])
        digester.update(body[1...])
        #expect(digester.byteCount == body.count)
        let identity = try await Fixtures.authenticator().authenticate(response, bodyDigest: digester.finish())
        #expect(identity.version == version)

        var tampered = response
        tampered.status = .ok
        await #expect(throws: MAuthError(.inauthentic, "Signature verification failed for response.")) {
            try await Fixtures.authenticator().authenticate(
                tampered,
                bodyDigest: {
                    let digester = MAuthBodyDigester(responseStatus: 200, headers: response.headerFields)
                    digester.update(body)
                    return digester.finish()
                }())
        }
    }

    @Test("a verifier that needs the body is not given a digest")
    func verifierNeedsTheBody() async throws {
        struct BodyVerifier: MAuthSignatureVerifier {
            func verify(_ check: MAuthSignatureCheck) async throws(MAuthError) {}
        }
        let authenticator = MAuthAuthenticator(verifier: BodyVerifier())
        #expect(!authenticator.verifiesBodyDigests)
        #expect(Fixtures.authenticator().verifiesBodyDigests)
        let headers = try Fixtures.signer(versions: [.v2]).headers(
            method: "POST", target: MAuthRequestTarget(Self.target), body: [UInt8]())
        await #expect(
            throws: MAuthError(.unableToAuthenticate, "This authenticator's verifier needs the body, not its digest.")
        ) {
            try await authenticator.authenticate(
                method: "POST", target: MAuthRequestTarget(Self.target), headers: headers,
                bodyDigest: Self.digest(of: [], headers: headers, piece: 1))
        }
    }
}
