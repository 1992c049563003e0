import AsyncHTTPClient
import BodySpool
import Foundation
import MAuth
import MAuthClient
import MAuthTestSupport
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

@Suite("Signing outgoing requests and authenticating responses", .serialized)
struct ClientTests {
    @Test("AsyncHTTPClient requests signed here authenticate, paths and queries as sent")
    func asyncHTTPClient() async throws {
        let server = try await ClientServer()
        for (url, body) in [
            (server.baseURL + "/", nil as String?),
            (server.baseURL + "/echo", #"{"a":1}"#),
            (server.baseURL + "/files/%E2%82%AC/?q=a+b&&r=%2F&", nil),
            (server.baseURL + "/files/a b", nil),
        ] {
            var request = HTTPClientRequest(url: url)
            request.method = body == nil ? .GET : .POST
            try ClientServer.signer.sign(&request, body: body.map { ByteBuffer(string: $0) })
            #expect(!request.url.contains("&&") && !request.url.hasSuffix("&"))
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
            #expect(response.status == .ok, "\(url): \(text)")
            if let body { #expect(text == body) }
        }
        try await server.stop()
    }

    @Test("a refusal from a server whose clock is 1,000 s ahead reports the skew, and is corrected once when asked")
    func clockSkew() async throws {
        let server = try await SkewedServer(clock: .fixed(Fixtures.time + 1000))
        let signer = try MAuthSigner(
            appUUID: Fixtures.appUUID, privateKey: Fixtures.privateKey, versions: [.v2], clock: .fixed(Fixtures.time))
        let reporting = MAuthHTTPClient(signer: signer)
        let refused = try await reporting.execute(HTTPClientRequest(url: server.baseURL + "/"))
        #expect(refused.status == .unauthorized)
        let skew = try #require(refused.clockSkew)
        #expect(skew.seconds == 1000)
        #expect(skew.description == "the server's clock is 1000 s ahead of this machine's; MAuth allows 300 s")

        let correcting = MAuthHTTPClient(signer: signer, correctsClockSkew: true)
        let accepted = try await correcting.execute(HTTPClientRequest(url: server.baseURL + "/"))
        #expect(accepted.status == .ok)
        #expect(String(buffer: accepted.body) == Fixtures.appUUID)
        #expect(accepted.clockSkew == nil)
        try await server.stop()

        let inTime = try await ClientServer()
        let unskewed = try await reporting.execute(HTTPClientRequest(url: inTime.baseURL + "/unsigned"))
        #expect(unskewed.clockSkew == nil, "no refusal, no skew")
        try await inTime.stop()
    }

    @Test("HTTP/2 over TLS with AsyncHTTPClient")
    func http2() async throws {
        try await withTestCertificate { certificate in
            let server = try await ClientServer(tls: (certificate.certificatePath, certificate.privateKeyPath))
            try await withHTTPClient { httpClient in
                let client = MAuthHTTPClient(
                    signer: ClientServer.signer, responseAuthenticator: ClientServer.responseAuthenticator,
                    httpClient: httpClient)
                let response = try await client.execute(
                    HTTPClientRequest(url: "https://localhost:\(try #require(server.tlsPort))/"))
                #expect(response.status == .ok)
                #expect(response.version.major == 2)
                #expect(String(buffer: response.body).contains(#""http_version":"HTTP/2""#))
                #expect(response.responder == MAuthIdentity(appUUID: ClientServer.responderUUID, version: .v2))
            }
            try await server.stop()
        }
    }

    @Test("URLSession requests signed here authenticate")
    func urlSession() async throws {
        let server = try await ClientServer()
        var request = URLRequest(url: URL(string: server.baseURL + "/echo?x=1&&y=%20")!)
        request.httpMethod = "POST"
        request.httpBody = Data(#"{"name":"widget"}"#.utf8)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        try ClientServer.signer.sign(&request)
        #expect(request.url?.absoluteString.hasSuffix("/echo?x=1&y=%20") == true)
        let (data, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 200, "\(String(decoding: data, as: UTF8.self))")
        #expect(String(decoding: data, as: UTF8.self) == #"{"name":"widget"}"#)

        var streamed = URLRequest(url: URL(string: server.baseURL + "/echo")!)
        streamed.httpBodyStream = InputStream(data: Data("x".utf8))
        #expect(throws: MAuthError.self) { try ClientServer.signer.sign(&streamed) }
        try await server.stop()
    }

    @Test("a response read into a spool is authenticated from its digest as it arrives")
    func spooledResponse() async throws {
        let server = try await ClientServer()
        try await withTemporaryDirectory("client-spool") { directory in
            let spool = try BodySpool(configuration: .init(directory: directory.path, memoryThreshold: 65_536))
            let client = MAuthHTTPClient(
                signer: ClientServer.signer, responseAuthenticator: ClientServer.responseAuthenticator)
            let big = try await client.execute(HTTPClientRequest(url: server.baseURL + "/big"), spool: spool)
            #expect(big.status == .ok)
            #expect(big.responder?.appUUID == ClientServer.responderUUID)
            #expect(big.body.isSpooled)
            #expect(Array(buffer: try big.body.readAll()) == ClientServer.bigBody)

            let tampered = await #expect(throws: MAuthError.self) {
                try await client.execute(HTTPClientRequest(url: server.baseURL + "/tampered"), spool: spool)
            }
            #expect(tampered?.message == "Signature verification failed for response.")
            let small = MAuthHTTPClient(
                signer: ClientServer.signer, responseAuthenticator: ClientServer.responseAuthenticator,
                maxResponseSize: 1_000_000)
            let tooLarge = await #expect(throws: MAuthError.self) {
                try await small.execute(HTTPClientRequest(url: server.baseURL + "/big"), spool: spool)
            }
            #expect(tooLarge?.message == "the response body is larger than 1000000 bytes, the most read")
        }
        try await server.stop()
    }

    @Test("response authentication: authentic, tampered, unsigned, unknown responder")
    func responseAuthentication() async throws {
        let server = try await ClientServer()
        let client = MAuthHTTPClient(
            signer: ClientServer.signer, responseAuthenticator: ClientServer.responseAuthenticator)
        let echoed = try await client.execute(
            {
                var request = HTTPClientRequest(url: server.baseURL + "/echo"); request.method = .POST; return request
            }(),
            body: ByteBuffer(string: "ping")
        )
        #expect(String(buffer: echoed.body) == "ping")
        #expect(echoed.responder?.appUUID == ClientServer.responderUUID)

        let tampered = await #expect(throws: MAuthError.self) {
            try await client.execute(HTTPClientRequest(url: server.baseURL + "/tampered"))
        }
        #expect(tampered?.code == .inauthentic)
        #expect(tampered?.message == "Signature verification failed for response.")

        let unsigned = await #expect(throws: MAuthError.self) {
            try await client.execute(HTTPClientRequest(url: server.baseURL + "/unsigned"))
        }
        #expect(unsigned?.message.hasPrefix("Authentication Failed. No mAuth signature present") == true)

        let strangers = MAuthHTTPClient(
            signer: ClientServer.signer,
            responseAuthenticator: MAuthAuthenticator(keyProvider: InMemoryPublicKeyProvider())
        )
        let unknown = await #expect(throws: MAuthError.self) {
            try await strangers.execute(HTTPClientRequest(url: server.baseURL + "/"))
        }
        #expect(unknown?.code == .inauthentic)
        #expect(unknown?.message == "No public key is registered for app \(ClientServer.responderUUID).")

        let redirected = try await MAuthHTTPClient(signer: ClientServer.signer).execute(
            HTTPClientRequest(url: server.baseURL + "/redirect"))
        #expect(redirected.status == .temporaryRedirect, "a redirect is returned, never followed with the signature")

        var withBody = HTTPClientRequest(url: server.baseURL + "/echo")
        withBody.method = .POST
        withBody.body = .bytes(ByteBuffer(string: "set on the request"))
        let unsignedBody = await #expect(throws: MAuthError.self) { try await client.execute(withBody) }
        #expect(unsignedBody?.code == .unableToSign)
        try await server.stop()
    }
}
