import AsyncHTTPClient
import Foundation
import HTTPTypes
import MAuth
import MAuthClient
import MAuthService
import MAuthTestSupport
import NIOCore
import NIOHTTP1
import Testing

/// `mauth service` and `mauth serve --mauth-url` as separate processes, as in development and CI.
@Suite("mauth service with mauth serve and the Python reference client", .serialized)
struct ServiceCommandTests {
    /// A keys directory with the server's identity (the suite's key) and a client app's.
    struct Identities {
        let directory: URL
        let serverKeyFile = Fixtures.privateKeyPath
        let client: (appUUID: String, key: MAuthPrivateKey)

        init(in directory: URL) throws {
            self.directory = directory
            try Fixtures.publicKeyPEM.write(
                to: directory.appendingPathComponent("\(Fixtures.appUUID).pub"), atomically: true, encoding: .utf8)
            client = ("5ff4257e-9c16-11e0-b048-0026bbfffe5e", Fixtures.otherPrivateKey)
            try client.key.publicKey.pem.write(
                to: directory.appendingPathComponent("\(client.appUUID).pub"), atomically: true, encoding: .utf8)
        }
    }

    /// Runs `body` with ``Identities`` in a new keys directory, and removes the directory afterwards.
    static func withIdentities<Result>(_ body: (Identities) async throws -> Result) async throws -> Result {
        try await withTemporaryDirectory("mauth-service") { directory in
            try await body(try Identities(in: directory))
        }
    }

    static func serve(through service: RunningMAuth, mode: String, extra: [String] = []) async throws -> RunningMAuth {
        try await RunningMAuth(
            serve: [
                "--mauth-url", service.baseURL, "--mode", mode,
                "--app-uuid", Fixtures.appUUID, "--private-key-file", Fixtures.privateKeyPath,
            ] + extra)
    }

    /// `GET /` on `server`, signed by `app` now.
    static func get(
        _ server: RunningMAuth, as app: (appUUID: String, key: MAuthPrivateKey),
        versions: [MAuthProtocolVersion] = [.v2]
    )
        async throws -> (status: Int, body: String)
    {
        var request = HTTPClientRequest(url: server.baseURL + "/")
        let fields = try MAuthSigner(appUUID: app.appUUID, privateKey: app.key, versions: versions)
            .headers(method: "GET", target: MAuthRequestTarget("/"), body: [UInt8]())
        for field in fields { request.headers.add(name: field.name.rawName, value: field.value) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 1 << 16)))
    }

    @Test("the app a configuration file names is registered, and may call the service with its key")
    func configuredApp() async throws {
        try await withTemporaryDirectory("mauth-service-config") { home in
            let keys = home.appendingPathComponent("keys")
            try FileManager.default.createDirectory(at: keys, withIntermediateDirectories: true)
            try "common:\n  app_uuid: \(Fixtures.appUUID)\n  private_key_file: \(Fixtures.privateKeyPath)\n".write(
                to: home.appendingPathComponent(".mauth_config.yml"), atomically: true, encoding: .utf8)
            var environment = ProcessInfo.processInfo.environment
            for name in ["MAUTH_APP_UUID", "APP_UUID", "MAUTH_PRIVATE_KEY", "PRIVATE_KEY", "MAUTH_PRIVATE_KEY_FILE"] {
                environment[name] = nil
            }
            environment["HOME"] = home.path
            let service = try await RunningMAuth(
                executable: try ChildProcess.mauthExecutable(),
                ["service", "--port", "0", "--log-level", "warning", "--keys-dir", keys.path],
                readyWhen: "\n", environment: environment)
            #expect(service.banner.contains("and the configured app \(Fixtures.appUUID)"))
            let provider = MAuthServiceKeyProvider(
                client: MAuthServiceClient(
                    baseURL: service.baseURL,
                    signer: try MAuthSigner(appUUID: Fixtures.appUUID, privateKey: Fixtures.privateKey)))
            #expect(try await provider.publicKey(forAppUUID: Fixtures.appUUID) == Fixtures.publicKey)
            #expect(try await provider.publicKey(forAppUUID: "unknown-app") == nil)
            #expect(await service.stop() == 0)
        }
    }

    @Test(
        "mauth serve authenticates through mauth service, in local and in remote mode", arguments: ["local", "remote"])
    func serveThroughService(mode: String) async throws {
        try await Self.withIdentities { identities in
            let service = try await RunningMAuth(service: ["--keys-dir", identities.directory.path])
            let server = try await Self.serve(through: service, mode: mode)
            for versions in [[MAuthProtocolVersion.v1], [.v2], [.v1, .v2]] {
                let answer = try await Self.get(server, as: identities.client, versions: versions)
                #expect(answer.status == 200)
                #expect(answer.body.contains(#""app_uuid":"\#(identities.client.appUUID)""#))
            }
            let stranger = try await Self.get(server, as: ("0d7e4c9a-unknown", Fixtures.otherPrivateKey))
            #expect(stranger.status == 401)

            #expect(await service.stop() == 0)
            // An app the server has not cached yet, so its key must come from the stopped service.
            let newcomer = (appUUID: "6a1e1b7c-0000-4000-8000-00000000beef", key: Fixtures.otherPrivateKey)
            try newcomer.key.publicKey.pem.write(
                to: identities.directory.appendingPathComponent("\(newcomer.appUUID).pub"), atomically: true,
                encoding: .utf8)
            let down = try await Self.get(server, as: newcomer)
            #expect(down.status == 500, "\(down.body)")
            // Not the service's address, nor errno text: the caller learns nothing of the server.
            #expect(down.body == #"{"errors":{"mauth":["Could not determine request authenticity"]}}"#)
            #expect(await server.stop() == 0)
        }
    }

    @Test(
        "a caller's key rotated at mauth service is accepted by mauth serve at once, with the old key cached for an hour"
    )
    func rotatedKey() async throws {
        try await Self.withIdentities { identities in
            let service = try await RunningMAuth(
                service: ["--keys-dir", identities.directory.path, "--max-age", "3600"])
            let server = try await Self.serve(through: service, mode: "local")
            #expect(try await Self.get(server, as: identities.client).status == 200, "the old key is now cached")
            let rotated = try MAuthPrivateKey.generate()
            try rotated.publicKey.pem.write(
                to: identities.directory.appendingPathComponent("\(identities.client.appUUID).pub"), atomically: true,
                encoding: .utf8)
            let answer = try await Self.get(server, as: (identities.client.appUUID, rotated))
            #expect(answer.status == 200, "\(answer.body)")
            #expect(try await Self.get(server, as: identities.client).status == 401, "the old key is refused")
            #expect(await server.stop() == 0)
            #expect(await service.stop() == 0)
        }
    }

    @Test("--sign-responses through a MAuth service signs with the identity given for the service")
    func signsResponsesWithGivenIdentity() async throws {
        try await Self.withIdentities { identities in
            let service = try await RunningMAuth(service: ["--keys-dir", identities.directory.path])
            try await withTemporaryDirectory("serve-signing") { directory in
                let server = try await RunningMAuth(
                    serve: [
                        "--mauth-url", service.baseURL, "--app-uuid", Fixtures.appUUID,
                        "--private-key-file", Fixtures.privateKeyPath, "--sign-responses",
                    ],
                    directory: directory)
                var request = HTTPClientRequest(url: server.baseURL + "/")
                let fields = try MAuthSigner(appUUID: identities.client.appUUID, privateKey: identities.client.key)
                    .headers(method: "GET", target: MAuthRequestTarget("/"), body: [UInt8]())
                for field in fields { request.headers.add(name: field.name.rawName, value: field.value) }
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
                let body = try await response.body.collect(upTo: 1 << 16)
                #expect(response.status == .ok)

                var responseFields = HTTPFields()
                for header in response.headers {
                    responseFields.append(
                        HTTPField(name: try #require(HTTPField.Name(header.name)), value: header.value))
                }
                let authenticator = MAuthAuthenticator(
                    keyProvider: DirectoryPublicKeyProvider(directory: identities.directory.path))
                let signer = try await authenticator.authenticate(
                    HTTPResponse(status: .ok, headerFields: responseFields), body: Array(buffer: body))
                #expect(signer.appUUID == Fixtures.appUUID)
                #expect(
                    !FileManager.default.fileExists(atPath: directory.appendingPathComponent(".mauth").path),
                    "no development identity is made when one is given")
                #expect(await server.stop() == 0)
                #expect(await service.stop() == 0)
            }
        }
    }

    @Test(
        "requests signed by the Python reference client authenticate through the service",
        .enabled(if: PythonReference.interpreter != nil, Comment(rawValue: PythonReference.absentMessage))
    )
    func pythonSigner() async throws {
        try await Self.withIdentities { identities in
            let service = try await RunningMAuth(service: ["--keys-dir", identities.directory.path])
            for mode in ["local", "remote"] {
                let server = try await Self.serve(through: service, mode: mode)
                let results = try await PythonReference.run(
                    mode: "send",
                    input: [
                        "base_url": server.baseURL, "app_uuid": identities.client.appUUID,
                        "private_key_pem": identities.client.key.pem, "sign_versions": "v1,v2",
                        "requests": [
                            ["method": "GET", "url": "/?q=a+b", "body_base64": ""],
                            [
                                "method": "POST", "url": "/echo",
                                "body_base64": Data("hello".utf8).base64EncodedString(),
                            ],
                        ],
                    ]
                )
                #expect(results.map { $0["status"] as? Int } == [200, 200], "\(mode)")
                #expect(results[1]["body"] as? String == "hello")
                #expect(await server.stop() == 0)
            }
            #expect(await service.stop() == 0)
        }
    }

    @Test(
        "the Python LambdaAuthenticator, pointed at mauth service, accepts requests signed here",
        .enabled(if: PythonReference.interpreter != nil, Comment(rawValue: PythonReference.absentMessage)),
        arguments: ["local", "remote"]
    )
    func pythonAuthenticator(mode: String) async throws {
        try await Self.withIdentities { identities in
            let service = try await RunningMAuth(service: ["--keys-dir", identities.directory.path])
            let body = Array(#"{"name":"widget"}"#.utf8)
            var requests: [[String: Any]] = []
            for versions in [[MAuthProtocolVersion.v1], [.v2], [.v1, .v2]] {
                let fields = try MAuthSigner(
                    appUUID: identities.client.appUUID, privateKey: identities.client.key, versions: versions
                )
                .headers(method: "POST", target: MAuthRequestTarget("/v1/items?b=2&a=1"), body: body)
                requests.append([
                    "method": "POST", "url": "/v1/items?b=2&a=1", "body_base64": Data(body).base64EncodedString(),
                    "headers": Dictionary(fields.map { ($0.name.rawName, $0.value) }, uniquingKeysWith: { $1 }),
                ])
            }
            var tampered = requests[2]
            tampered["body_base64"] = Data("tampered".utf8).base64EncodedString()
            requests.append(tampered)
            let results = try await PythonReference.run(
                mode: "lambda",
                input: ["requests": requests],
                environment: [
                    "MAUTH_URL": service.baseURL, "MAUTH_MODE": mode, "MAUTH_API_VERSION": "v1",
                    "APP_UUID": Fixtures.appUUID, "PRIVATE_KEY": Fixtures.privateKeyPEM,
                ]
            )
            #expect(results.map { $0["authentic"] as? Bool } == [true, true, true, false], "\(results)")
            #expect(results.last?["status"] as? Int == 401)
            #expect(await service.stop() == 0)
        }
    }
}

/// The Python reference client's own server middlewares, pointed at `mauth service`, accept
/// requests signed here.
@Suite(
    "Python WSGI and ASGI middlewares accept requests signed here",
    .serialized,
    .enabled(if: PythonReference.interpreter != nil, Comment(rawValue: PythonReference.absentMessage))
)
struct PythonMiddlewareTests {
    @Test("V1, V2 and both, with bodies and queries", arguments: ["wsgi", "asgi"])
    func middleware(kind: String) async throws {
        try await ServiceCommandTests.withIdentities { identities in
            let service = try await RunningMAuth(service: ["--keys-dir", identities.directory.path])
            let python = try await PythonReference.startMiddlewareServer(kind: kind, serviceURL: service.baseURL)
            try await Self.waitUntilServing(python.baseURL)
            let client = identities.client
            for versions in [[MAuthProtocolVersion.v1], [.v2], [.v1, .v2]] {
                let signer = try MAuthSigner(appUUID: client.appUUID, privateKey: client.key, versions: versions)
                var get = HTTPClientRequest(url: python.baseURL + "/?b=2&a=1&q=x+y")
                try signer.sign(&get, body: nil)
                let got = try await HTTPClient.shared.execute(get, timeout: .seconds(10))
                let document = String(buffer: try await got.body.collect(upTo: 1 << 16))
                #expect(got.status.code == 200, "\(kind) \(versions): \(document)")
                #expect(document.contains(#""app_uuid": "\#(client.appUUID)""#), "\(document)")
                #expect(document.contains(#""protocol_version": \#(versions.max()!.number)"#), "\(document)")

                var post = HTTPClientRequest(url: python.baseURL + "/echo")
                post.method = .POST
                try signer.sign(&post, body: ByteBuffer(string: #"{"name":"widget","ü":1}"#))
                let echoed = try await HTTPClient.shared.execute(post, timeout: .seconds(10))
                #expect(echoed.status.code == 200)
                #expect(String(buffer: try await echoed.body.collect(upTo: 1 << 16)) == #"{"name":"widget","ü":1}"#)
            }
            var tampered = HTTPClientRequest(url: python.baseURL + "/?b=3")
            let signedHeaders = try MAuthSigner(appUUID: client.appUUID, privateKey: client.key, versions: [.v2])
                .headers(method: "GET", target: MAuthRequestTarget("/?b=2"), body: [UInt8]())
            for field in signedHeaders { tampered.headers.add(name: field.name.rawName, value: field.value) }
            #expect(try await HTTPClient.shared.execute(tampered, timeout: .seconds(10)).status.code == 401)
            _ = await python.stop()
            #expect(await service.stop() == 0)
        }
    }

    /// Polls the exempt route until the Python server answers.
    static func waitUntilServing(_ baseURL: String) async throws {
        for _ in 0..<100 {
            if let response = try? await HTTPClient.shared.execute(
                HTTPClientRequest(url: baseURL + "/app_status"), timeout: .seconds(1)),
                response.status.code == 200
            {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("the Python server at \(baseURL) did not start")
    }
}
