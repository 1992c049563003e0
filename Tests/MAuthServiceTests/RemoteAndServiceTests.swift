import AsyncHTTPClient
import Foundation
import HTTPTypes
import MAuth
import MAuthService
import MAuthTestSupport
import NIOCore
import NIOHTTP1
import Testing

@Suite("Remote authentication and the development service's API", .serialized)
struct RemoteAndServiceTests {
    @Test("remote mode: the service checks V1 and V2 tickets; tampering and unknown apps are inauthentic")
    func remote() async throws {
        let service = try await InstrumentedService()
        let app = try service.registerApp()
        let authenticator = MAuthAuthenticator(verifier: MAuthRemoteVerifier(client: service.client()))
        let body = Array(#"{"name":"widget"}"#.utf8)
        let target = MAuthRequestTarget("/v1/items/%E2%82%AC?b=2&a=1")
        for versions in [[MAuthProtocolVersion.v1], [.v2]] {
            let headers = try MAuthSigner(appUUID: app.appUUID, privateKey: app.key, versions: versions)
                .headers(method: "POST", target: target, body: body)
            let identity = try await authenticator.authenticate(
                method: "POST", target: target, headers: headers, body: body)
            #expect(identity == MAuthIdentity(appUUID: app.appUUID, version: versions[0]))
            let tampered = await #expect(throws: MAuthError.self) {
                try await authenticator.authenticate(
                    method: "POST", target: target, headers: headers, body: Array("x".utf8))
            }
            #expect(tampered?.code == .inauthentic)
            #expect(tampered?.message.hasPrefix("The mAuth service responded with 412") == true)
        }
        let stranger = try MAuthSigner(appUUID: "stranger", privateKey: app.key, versions: [.v2])
            .headers(method: "GET", target: MAuthRequestTarget("/"), body: [UInt8]())
        let unknown = await #expect(throws: MAuthError.self) {
            try await authenticator.authenticate(
                method: "GET", target: MAuthRequestTarget("/"), headers: stranger, body: [UInt8]())
        }
        #expect(unknown?.code == .inauthentic)
        #expect(unknown?.message.hasPrefix("The mAuth service responded with 404") == true)
        service.switchboard.inject(.status(.internalServerError), count: 1)
        let headers = try MAuthSigner(appUUID: app.appUUID, privateKey: app.key, versions: [.v2])
            .headers(method: "GET", target: MAuthRequestTarget("/"), body: [UInt8]())
        let unable = await #expect(throws: MAuthError.self) {
            try await authenticator.authenticate(
                method: "GET", target: MAuthRequestTarget("/"), headers: headers, body: [UInt8]())
        }
        #expect(unable?.code == .unableToAuthenticate)
        try await service.stop()
    }

    /// Sends `body` to the service as `path`, unsigned or signed by the registered caller.
    static func send(
        _ service: InstrumentedService, _ method: HTTPMethod, _ path: String, body: String? = nil, signed: Bool = true
    )
        async throws -> (status: Int, body: String, headers: HTTPHeaders)
    {
        var request = HTTPClientRequest(url: service.baseURL + path)
        request.method = method
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        if signed {
            let fields = try MAuthSigner(appUUID: InstrumentedService.callerUUID, privateKey: Fixtures.privateKey)
                .headers(method: method.rawValue, target: MAuthRequestTarget(path), body: Array((body ?? "").utf8))
            for field in fields { request.headers.add(name: field.name.rawName, value: field.value) }
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        return (
            Int(response.status.code), String(buffer: try await response.body.collect(upTo: 1 << 20)), response.headers
        )
    }

    @Test("security tokens have the real service's shape and Cache-Control")
    func securityTokenDocument() async throws {
        let service = try await InstrumentedService(maxAge: 123)
        let app = try service.registerApp()
        let answer = try await Self.send(service, .GET, "/mauth/v1/security_tokens/\(app.appUUID).json")
        #expect(answer.status == 200)
        #expect(answer.headers["Cache-Control"] == ["max-age=123, private"])
        let document = try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any]
        let token = try #require(document?["security_token"] as? [String: Any])
        #expect(token["app_uuid"] as? String == app.appUUID)
        #expect(token["public_key_str"] as? String == app.key.publicKey.pem)
        #expect(token["created_at"] is String)
        try await service.stop()
    }

    @Test("a V2 ticket whose signature keeps the header's closing ';' (the Clojure client) is authentic")
    func clojureTicket() async throws {
        let service = try await InstrumentedService()
        let app = try service.registerApp()
        let signed = try MAuthSigner(appUUID: app.appUUID, privateKey: app.key, versions: [.v2])
            .headers(method: "GET", target: MAuthRequestTarget("/v1/items?a=1"), body: [UInt8]())
        let header = try #require(signed[.init("MCC-Authentication")!])
        let signature = String(try #require(header.split(separator: ":").last))
        #expect(signature.hasSuffix(";"))
        let ticket: [String: String] = [
            "verb": "GET", "app_uuid": app.appUUID, "client_signature": signature, "request_url": "/v1/items",
            "query_string": "a=1", "request_time": try #require(signed[.init("MCC-Time")!]), "b64encoded_body": "",
            "token": "MWSV2",
        ]
        let document = try JSONSerialization.data(withJSONObject: ["authentication_ticket": ticket])
        let answer = try await Self.send(
            service, .POST, "/mauth/v1/authentication_tickets.json", body: String(decoding: document, as: UTF8.self))
        #expect(answer.status == 204 || answer.status == 200, "\(answer.body)")
        try await service.stop()
    }

    @Test("the service answers bad input with a clear 4xx and keeps serving")
    func badInput() async throws {
        let service = try await InstrumentedService()
        let tickets = "/mauth/v1/authentication_tickets.json"
        #expect(
            try await Self.send(
                service, .GET, "/mauth/v1/security_tokens/\(InstrumentedService.callerUUID).json", signed: false
            ).status == 401)
        let malformed = try await Self.send(service, .POST, tickets, body: "{not json")
        #expect(malformed.status == 400)
        #expect(malformed.body == #"{"error":"The body is not a JSON object."}"#)
        let missingField = try await Self.send(
            service, .POST, tickets, body: #"{"authentication_ticket":{"verb":"GET"}}"#)
        #expect(missingField.status == 400)
        #expect(missingField.body.contains("'app_uuid'"))
        let noTicket = try await Self.send(service, .POST, tickets, body: #"{"ticket":{}}"#)
        #expect(noTicket.body == #"{"error":"The body has no 'authentication_ticket' object."}"#)
        let numericVerb = try await Self.send(service, .POST, tickets, body: #"{"authentication_ticket":{"verb":1}}"#)
        #expect(numericVerb.body == #"{"error":"The ticket's 'verb' is missing or not a string."}"#)
        let unknown = try await Self.send(service, .GET, "/mauth/v1/security_tokens/no-such-app.json")
        #expect(unknown.status == 404)
        for traversal in ["..%2F..%2Fetc%2Fpasswd", "%2E%2E%2F%2E%2E%2Fetc%2Fpasswd", "..%5C..%5Cpasswd"] {
            #expect(try await Self.send(service, .GET, "/mauth/v1/security_tokens/\(traversal).json").status == 404)
        }
        let huge = String(repeating: "x", count: (1 << 20) + 1)
        #expect(try await Self.send(service, .POST, tickets, body: huge).status == 413)
        #expect(try await Self.send(service, .DELETE, tickets).status == 405)
        #expect(try await Self.send(service, .GET, "/mauth/v1/nothing-here").status == 404)
        let app = try service.registerApp()
        #expect(try await Self.send(service, .GET, "/mauth/v1/security_tokens/\(app.appUUID).json").status == 200)
        try await service.stop()
    }

    @Test("the environment builds the whole stack; missing settings are named")
    func fromEnvironment() async throws {
        let service = try await InstrumentedService()
        let app = try service.registerApp()
        let headers = try MAuthSigner(appUUID: app.appUUID, privateKey: app.key, versions: [.v2])
            .headers(method: "GET", target: MAuthRequestTarget("/x?y=1"), body: [UInt8]())
        for mode in ["local", "remote"] {
            let configuration = try MAuthConfiguration(environment: [
                "APP_UUID": InstrumentedService.callerUUID, "PRIVATE_KEY": Fixtures.privateKeyPEM,
                "MAUTH_URL": service.baseURL, "MAUTH_MODE": mode,
            ])
            let mauth = try MAuthServiceAuthenticator(configuration: configuration)
            let result = await mauth.authenticate(
                method: "GET", url: "http://localhost/x?y=1", headers: headers, body: [])
            #expect(result.isAuthentic && result.status == 200 && result.message == nil)
            #expect(result.identity == MAuthIdentity(appUUID: app.appUUID, version: .v2))
            let bad = await mauth.authenticate(method: "GET", url: "/x?y=2", headers: headers, body: [])
            #expect((bad.isAuthentic, bad.status) == (false, 401))
        }
        #expect(
            throws: MAuthError(
                .invalidConfiguration,
                "authenticating through a MAuth service needs: MAUTH_APP_UUID (or APP_UUID), MAUTH_PRIVATE_KEY (or PRIVATE_KEY, or MAUTH_PRIVATE_KEY_FILE), MAUTH_URL"
            )
        ) { try MAuthServiceAuthenticator(configuration: MAuthConfiguration()) }
        try await service.stop()
    }
}
