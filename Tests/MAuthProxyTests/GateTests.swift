import Foundation
import HTTPTypes
import MAuth
import MAuthTestSupport
import Testing

/// `mauth gate` between real components: nginx in front (Debian's nginx-light, started with the
/// configurations the gate's article documents), a Python service behind it that trusts the
/// identity fields, and requests signed by the Python reference client.
@Suite(
    "mauth gate behind nginx, in front of a Python service", .serialized,
    .enabled(if: PythonReference.interpreter != nil, Comment(rawValue: PythonReference.absentMessage)))
struct GateTests {
    /// The nginx configurations of the gate's article, in order: behind nginx, then `auth_request`.
    static func documentedConfigurations() throws -> [String] {
        let article = try String(
            contentsOf: Fixtures.packageRoot.appendingPathComponent("Sources/MAuthProxy/Documentation.docc/Gate.md"),
            encoding: .utf8)
        return article.components(separatedBy: "```nginx\n").dropFirst().map {
            $0.components(separatedBy: "\n```")[0]
        }
    }

    /// The Python service, the gate in front of it, and nginx in front of both, as documented.
    struct Stack {
        let app: RunningMAuth
        let gate: RunningMAuth
        let nginx: RunningNginx
        let appLog: URL
        let gateLog: URL
        private let directory: TemporaryDirectory

        init(gateArguments: [String] = []) async throws {
            directory = try TemporaryDirectory("gate")
            let keys = directory.url.appendingPathComponent("keys")
            try FileManager.default.createDirectory(at: keys, withIntermediateDirectories: true)
            try Fixtures.publicKeyPEM.write(
                to: keys.appendingPathComponent("\(Fixtures.appUUID).pub"), atomically: true, encoding: .utf8)
            appLog = directory.url.appendingPathComponent("app.log")
            gateLog = directory.url.appendingPathComponent("gate.log")
            app = try await RunningMAuth(
                executable: URL(fileURLWithPath: PythonReference.interpreter!),
                [Fixtures.packageRoot.appendingPathComponent("Tests/Interop/identity_app.py").path, appLog.path],
                readyWhen: "listening on")
            gate = try await RunningMAuth(
                [
                    "gate", "--port", "0", "--upstream", app.baseURL, "--keys-dir", keys.path, "--exempt", "/health",
                    "--auth-request-path", "/_mauth",
                ] + gateArguments,
                readyWhen: "mauth gate: forwarding", directory: directory.url, standardError: gateLog)
            let configurations = try GateTests.documentedConfigurations()
            try #require(configurations.count == 2, "the article documents two nginx configurations")
            let (gatePort, appPort) = (gate.port, app.port)
            nginx = try await RunningNginx(portCount: 2) { ports in
                zip(configurations, ports).map { configuration, port in
                    configuration
                        .replacingOccurrences(of: "127.0.0.1:8080;", with: "127.0.0.1:\(port);")
                        .replacingOccurrences(of: "127.0.0.1:8081;", with: "127.0.0.1:\(port);")
                        .replacingOccurrences(of: "127.0.0.1:8082", with: "127.0.0.1:\(gatePort)")
                        .replacingOccurrences(of: "127.0.0.1:9000", with: "127.0.0.1:\(appPort)")
                }.joined(separator: "\n")
            }
        }

        /// nginx in front of the gate.
        var gateURL: String { nginx.baseURL(0) }
        /// nginx asking the gate with `auth_request`, in front of the service.
        var authRequestURL: String { nginx.baseURL(1) }

        /// The requests that reached the service, as `METHOD TARGET` lines.
        var reachedApp: [String] {
            ((try? String(contentsOf: appLog, encoding: .isoLatin1)) ?? "").split(separator: "\n").map(String.init)
        }

        func stop() async {
            await nginx.stop()
            #expect(await gate.stop() == 0, "the gate stops gracefully on SIGTERM")
            _ = await app.stop()
        }
    }

    /// What the Python service answered: what it received.
    struct Received: Decodable {
        let method: String
        let target: String
        let appUUID: String?
        let protocolVersion: String?
        let bodyLength: Int
        let mauthHeaders: [String]

        enum CodingKeys: String, CodingKey {
            case method, target
            case appUUID = "app_uuid"
            case protocolVersion = "protocol_version"
            case bodyLength = "body_length"
            case mauthHeaders = "mauth_headers"
        }
    }

    static func received(_ body: String) throws -> Received {
        try JSONDecoder().decode(Received.self, from: Data(body.utf8))
    }

    static let requests: [(method: String, target: String, body: String)] = [
        ("GET", "/studies/caf%C3%A9/a%20b%2Bc", ""),
        ("GET", "//double//slashes/", ""),
        ("GET", "/search?b=2&a=1&q=x%20y&e=%C3%A9&flag", ""),
        ("POST", "/studies?draft=1", #"{"name":"ü study","sites":[1,2]}"#),
        ("PUT", "/studies/%E2%82%AC/items", String(repeating: "body ", count: 50_000)),
        ("DELETE", "/studies/1", ""),
    ]

    static func pythonSend(
        to baseURL: String, versions: String, _ requests: [(method: String, target: String, body: String)]
    ) async throws -> [[String: Any]] {
        try await PythonReference.run(
            mode: "send",
            input: [
                "base_url": baseURL, "app_uuid": Fixtures.appUUID, "private_key_pem": Fixtures.privateKeyPEM,
                "sign_versions": versions,
                "requests": requests.map { request in
                    [
                        "method": request.method, "url": request.target,
                        "body_base64": Data(request.body.utf8).base64EncodedString(),
                    ]
                },
            ])
    }

    @Test(
        "requests signed by the Python reference client reach the service through nginx and the gate, byte for byte",
        .enabled(if: RunningNginx.executable != nil, Comment(rawValue: RunningNginx.absentMessage)))
    func throughNginx() async throws {
        let stack = try await Stack()
        for versions in ["v1", "v2", "v1,v2"] {
            let results = try await Self.pythonSend(to: stack.gateURL, versions: versions, Self.requests)
            for (request, result) in zip(Self.requests, results) {
                let status = result["status"] as? Int
                let body = result["body"] as? String ?? ""
                #expect(status == 200, "\(versions) \(request.method) \(request.target): \(body)")
                guard status == 200 else { continue }
                let seen = try Self.received(body)
                #expect(seen.method == request.method)
                #expect(seen.target == result["sent_target"] as? String, "\(request.target)")
                #expect(seen.appUUID == Fixtures.appUUID)
                #expect(seen.protocolVersion == (versions.contains("v2") ? "v2" : "v1"))
                #expect(seen.bodyLength == request.body.utf8.count)
                #expect(!seen.mauthHeaders.isEmpty, "the MAuth fields reach the service")
            }
        }
        let log = try String(contentsOf: stack.gateLog, encoding: .utf8)
        #expect(log.contains("GET /search 200") && log.contains("mauth.app_uuid=\(Fixtures.appUUID)"), "\(log)")
        #expect(!log.contains("q=x%20y"), "the query is logged at debug only")
        await stack.stop()
    }

    @Test(
        "unsigned, tampered and forged requests never reach the service; exempt paths cannot be climbed out of",
        .enabled(if: RunningNginx.executable != nil, Comment(rawValue: RunningNginx.absentMessage)))
    func refusals() async throws {
        let stack = try await Stack()
        let unsigned = try await SigningProxyTests.curl([stack.gateURL + "/studies/unsigned"])
        #expect(unsigned.status == 401)
        #expect(unsigned.body.hasPrefix(#"{"errors":{"mauth":["#), "\(unsigned.body)")

        let signer = try MAuthSigner(appUUID: Fixtures.appUUID, privateKey: Fixtures.privateKey, versions: [.v2])
        let signed = try signer.headers(
            method: "POST", target: MAuthRequestTarget("/studies/tampered"), body: Array("original".utf8))
        let headerArguments = signed.flatMap { ["-H", "\($0.name.rawName): \($0.value)"] }
        let tampered = try await SigningProxyTests.curl(
            headerArguments + ["--data-binary", "tampered", stack.gateURL + "/studies/tampered"])
        #expect(tampered.status == 401, "\(tampered.body)")

        let getHeaders = try signer.headers(
            method: "GET", target: MAuthRequestTarget("/studies/forged"), body: [UInt8]())
        let forged = try await SigningProxyTests.curl(
            getHeaders.flatMap { ["-H", "\($0.name.rawName): \($0.value)"] } + [
                "-H", "X-MAuth-App-UUID: forged-app", "-H", "x-mauth-protocol-version: v9",
                stack.gateURL + "/studies/forged",
            ])
        #expect(forged.status == 200, "\(forged.body)")
        let seen = try Self.received(forged.body)
        #expect(seen.appUUID == Fixtures.appUUID)
        #expect(seen.protocolVersion == "v2")

        let exemptForged = try await SigningProxyTests.curl([
            "-H", "X-MAuth-App-UUID: forged-app", stack.gateURL + "/health",
        ])
        #expect(exemptForged.status == 200)
        #expect(try Self.received(exemptForged.body).appUUID == nil, "a forged identity never reaches the service")

        // Straight to the gate: nginx itself drops field names with '_'.
        for forgery in ["X-MAuth-App_UUID", "x_mauth_app_uuid", "X-MAUTH-APP-UUID"] {
            let exempt = try await SigningProxyTests.curl([
                "-H", "\(forgery): forged-app", stack.gate.baseURL + "/health",
            ])
            #expect(try Self.received(exempt.body).appUUID == nil, "\(forgery)")
            let authenticated = try await SigningProxyTests.curl(
                getHeaders.flatMap { ["-H", "\($0.name.rawName): \($0.value)"] } + [
                    "-H", "\(forgery): forged-app", stack.gate.baseURL + "/studies/forged",
                ])
            #expect(try Self.received(authenticated.body).appUUID == Fixtures.appUUID, "\(forgery)")
        }
        for escape in ["/health/..%2Fstudies", "/health/%2e%2e/studies", "/health/..;/studies", "/health/%ff"] {
            let refused = try await SigningProxyTests.curl(["--path-as-is", stack.gateURL + escape])
            #expect(refused.status == 400, "\(escape): \(refused.body)")
        }
        #expect(
            stack.reachedApp == ["GET /studies/forged", "GET /health"]
                + Array(repeating: ["GET /health", "GET /studies/forged"], count: 3).flatMap { $0 },
            "\(stack.reachedApp)")
        await stack.stop()
    }

    @Test(
        "nginx's auth_request asks the gate: a signed GET passes with the identity, a POST with a body is refused",
        .enabled(if: RunningNginx.executable != nil, Comment(rawValue: RunningNginx.absentMessage)))
    func authRequest() async throws {
        let stack = try await Stack()
        for versions in ["v1", "v2"] {
            let results = try await Self.pythonSend(
                to: stack.authRequestURL, versions: versions,
                [("GET", "/studies/caf%C3%A9?b=2&a=1", ""), ("DELETE", "/studies/1", ""), ("POST", "/studies", "body")])
            #expect(results[0]["status"] as? Int == 200, "\(results[0])")
            let seen = try Self.received(results[0]["body"] as? String ?? "")
            #expect(seen.appUUID == Fixtures.appUUID)
            #expect(seen.protocolVersion == versions)
            #expect(seen.target == results[0]["sent_target"] as? String)
            #expect(results[1]["status"] as? Int == 200, "\(results[1])")
            #expect(results[2]["status"] as? Int == 401, "a request with a body is refused: \(results[2])")
        }
        let unsigned = try await SigningProxyTests.curl([
            "-H", "X-MAuth-App-UUID: forged-app", stack.authRequestURL + "/studies",
        ])
        #expect(unsigned.status == 401)
        let signer = try MAuthSigner(appUUID: Fixtures.appUUID, privateKey: Fixtures.privateKey, versions: [.v2])
        let emptyBodySignature = try signer.headers(
            method: "POST", target: MAuthRequestTarget("/studies/chunked"), body: [UInt8]())
        let chunked = try await SigningProxyTests.curl(
            emptyBodySignature.flatMap { ["-H", "\($0.name.rawName): \($0.value)"] } + [
                "-H", "Transfer-Encoding: chunked", "--data-binary", "unsigned body",
                stack.authRequestURL + "/studies/chunked",
            ])
        #expect(chunked.status == 401, "a body without a length is refused too: \(chunked.body)")
        #expect(!stack.reachedApp.contains { $0.hasPrefix("POST") || $0 == "GET /studies" }, "\(stack.reachedApp)")

        let direct = try await SigningProxyTests.curl([
            "-H", "X-Original-Method: POST", "-H", "X-Original-URI: /studies", "-H", "X-Original-Content-Length: 4",
            stack.gate.baseURL + "/_mauth",
        ])
        #expect(direct.status == 401)
        #expect(direct.body.contains("send requests with a body through the gate itself"), "\(direct.body)")
        await stack.stop()
    }

    @Test(
        "--sign-responses signs the service's responses over HTTP/1.1 and HTTP/2; a body over the limit is 413; a failing service is 502 or 504 without its address"
    )
    func responsesAndFailures() async throws {
        try await SigningProxyTests.withKeysDirectory { keys in
            let upstream = try await RunningServer(InspectingUpstream.router)
            let gate = try await RunningMAuth(
                executable: try ChildProcess.mauthExecutable(),
                [
                    "gate", "--port", "0", "--log-level", "warning", "--upstream", upstream.baseURL, "--keys-dir",
                    keys.path, "--sign-responses",
                ],
                readyWhen: "mauth gate: forwarding", environment: SigningProxyTests.proxyEnvironment)
            #expect(gate.banner.contains("mauth gate: signing responses as \(Fixtures.appUUID)"))
            for transport in [[], ["--http2-prior-knowledge"]] {
                let request = try await ChildProcess.run(
                    try ChildProcess.mauthExecutable(),
                    ["request", "-q", "--authenticate-response", "--keys-dir", keys.path] + transport + [
                        "GET", gate.baseURL + "/base/landed",
                    ],
                    environment: SigningProxyTests.proxyEnvironment)
                #expect(request.status == 0, "\(transport): \(request.errorText)")
                #expect(request.text == "landed")
            }
            #expect(await gate.stop() == 0)

            let hits = HitCounter()
            let counted = try await RunningServer(hits)
            let small = try await RunningMAuth(
                [
                    "gate", "--port", "0", "--log-level", "warning", "--upstream", counted.baseURL, "--keys-dir",
                    keys.path, "--max-body-size", "16",
                ],
                readyWhen: "mauth gate: forwarding", directory: nil)
            let signer = try MAuthSigner(appUUID: Fixtures.appUUID, privateKey: Fixtures.privateKey, versions: [.v2])
            let body = "seventeen bytes!!"
            let signed = try signer.headers(method: "POST", target: MAuthRequestTarget("/x"), body: Array(body.utf8))
            let tooLarge = try await SigningProxyTests.curl(
                signed.flatMap { ["-H", "\($0.name.rawName): \($0.value)"] } + [
                    "--data-binary", body, small.baseURL + "/x",
                ])
            #expect(tooLarge.status == 413, "\(tooLarge.body)")
            #expect(tooLarge.body.hasPrefix(#"{"error":"#), "\(tooLarge.body)")
            #expect(hits.count == 0)
            #expect(await small.stop() == 0)
            try await counted.stop()
            try await upstream.stop()
        }

        let refusing = try RefusingPort()
        let silent = try await RawUpstream(reply: nil)
        for (upstream, status) in [(refusing.baseURL, 502), (silent.baseURL, 504)] {
            let gate = try await RunningMAuth(
                [
                    "gate", "--port", "0", "--log-level", "warning", "--upstream", upstream, "--upstream-timeout",
                    "0.3",
                    "--exempt", "/x",
                ],
                readyWhen: "mauth gate: forwarding", directory: nil)
            let failed = try await SigningProxyTests.curl([gate.baseURL + "/x"])
            #expect(failed.status == status, "\(failed.body)")
            #expect(failed.body.hasPrefix(#"{"error":"The upstream service"#), "\(failed.body)")
            #expect(!failed.body.contains("127.0.0.1"), "\(failed.body)")
            #expect(await gate.stop() == 0)
        }
        refusing.close()
        try await silent.stop()
    }
}
