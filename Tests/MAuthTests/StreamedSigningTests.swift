import HTTPTypes
import MAuthTestSupport
import Testing

@testable import MAuth

/// Signing a body fed as it streams gives exactly the headers that signing its bytes gives (RSA
/// PKCS#1 v1.5 signatures are deterministic).
@Suite("Signing streamed bodies")
struct StreamedSigningTests {
    private static func body(_ count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 17 &+ 3) }
    }

    /// `bytes` in pieces of `size`, as an async sequence.
    private static func pieces(_ bytes: [UInt8], size: Int) -> AsyncStream<ArraySlice<UInt8>> {
        AsyncStream { continuation in
            for start in stride(from: 0, to: bytes.count, by: size) {
                continuation.yield(bytes[start..<min(start + size, bytes.count)])
            }
            continuation.finish()
        }
    }

    @Test(
        "a request's streamed body is signed as its bytes are",
        arguments: [[MAuthProtocolVersion.v1], [.v2], [.v1, .v2]], [0, 1, 70_000])
    func request(versions: [MAuthProtocolVersion], size: Int) async throws {
        let signer = Fixtures.signer(versions: versions)
        let target = MAuthRequestTarget("/studies/./a%2Fb?z=1&a=%20")
        let body = Self.body(size)
        let expected = try signer.headers(method: "PUT", target: target, body: body)
        let digester = try signer.bodyDigester(method: "PUT", target: target)
        digester.update(body.prefix(size / 3))
        digester.update(body.dropFirst(size / 3))
        #expect(digester.byteCount == size)
        #expect(try signer.headers(for: digester) == expected)
        let streamed = try await signer.headers(
            method: "PUT", target: target, streamedBody: Self.pieces(body, size: 4_096))
        #expect(streamed == expected)
        let authenticated = try await Fixtures.authenticator().authenticate(
            method: "PUT", target: target, headers: streamed, body: body)
        #expect(authenticated.version == versions.last)
    }

    @Test("a response's streamed body is signed as its bytes are", arguments: [MAuthProtocolVersion.v1, .v2])
    func response(version: MAuthProtocolVersion) throws {
        let signer = Fixtures.signer(versions: [.v1, .v2])
        let body = Self.body(20_000)
        let expected = try signer.headers(status: 404, body: body, versions: [version])
        let digester = try signer.bodyDigester(responseStatus: 404, versions: [version])
        digester.update(body)
        #expect(try signer.headers(for: digester) == expected)
    }

    @Test("a digester signs one message")
    func once() throws {
        let signer = Fixtures.signer(versions: [.v2])
        let digester = try signer.bodyDigester(method: "GET", target: MAuthRequestTarget("/"))
        _ = try signer.headers(for: digester)
        #expect(throws: MAuthError(.unableToSign, "a body digester signs one message; make a new one for the next")) {
            try signer.headers(for: digester)
        }
        #expect(throws: MAuthError(.unableToSign, "Missing required attributes to sign: verb")) {
            try signer.bodyDigester(method: "", target: MAuthRequestTarget("/"))
        }
    }
}
