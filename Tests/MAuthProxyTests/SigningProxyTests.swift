import AsyncHTTPClient
import Foundation
import HTTPPipeline
import HTTPPipelineServer
import Logging
import MAuth
import MAuthTestSupport
import NIOCore
import Testing

@testable import MAuthProxy

/// `SigningProxy` between curl and real upstreams: `mauth serve`, the Python reference
/// middleware, and upstreams that misbehave.
@Suite("Signing proxy", .serialized)
struct SigningProxyTests {
    /// Signs now, as the protocol test suite's app.
    static func signer(_ versions: [MAuthProtocolVersion]) throws -> MAuthSigner {
        try MAuthSigner(appUUID: Fixtures.appUUID, privateKey: Fixtures.privateKey, versions: versions)
    }

    /// Runs `body` with a directory holding the public key of the suite's app, and removes the
    /// directory afterwards.
    static func withKeysDirectory<Result>(_ body: (URL) async throws -> Result) async throws -> Result {
        try await withTemporaryDirectory("proxy-keys") { directory in
            try Fixtures.publicKeyPEM.write(
                to: directory.appendingPathComponent("\(Fixtures.appUUID).pub"), atomically: true, encoding: .utf8)
            return try await body(directory)
        }
    }

    /// The client the tests' proxies share: it lives as long as the test process.
    static let upstreamClient = UpstreamClient(timeout: .seconds(10))

    /// A proxy served in this process, and what it logged.
    static func proxy(
        _ routes: [ProxyRoute],
        signer: MAuthSigner? = nil,
        upstreamClient: UpstreamClient = Self.upstreamClient,
        responseAuthenticator: MAuthAuthenticator? = nil,
        maxBodySize: Int = 1 << 20
    ) async throws -> (server: RunningServer, log: RecordingLogHandler.Records) {
        let (logger, records) = RecordingLogHandler.logger(level: .info)
        let proxy = try SigningProxy(
            routes: routes, signer: try signer ?? Self.signer([.v1, .v2]), upstreamClient: upstreamClient,
            responseAuthenticator: responseAuthenticator, maxBodySize: maxBodySize, logger: logger)
        return (try await RunningServer(proxy, maxBodySize: maxBodySize), records)
    }

    /// The environment `mauth proxy` runs in: it signs as the protocol test suite's app.
    static var proxyEnvironment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["MAUTH_APP_UUID"] = Fixtures.appUUID
        environment["MAUTH_PRIVATE_KEY_FILE"] = Fixtures.privateKeyPath
        environment["MAUTH_PRIVATE_KEY"] = nil
        environment["PRIVATE_KEY"] = nil
        return environment
    }

    /// Runs curl and returns the status, the HTTP version and the body.
    static func curl(_ arguments: [String]) async throws -> (status: Int, version: String, body: String) {
        let curl = try #require(ChildProcess.find("curl"), "curl is needed for these tests")
        let result = try await ChildProcess.run(
            URL(fileURLWithPath: curl),
            ["-s", "-S", "--max-time", "20", "-w", "\n%{http_code} %{http_version}"] + arguments)
        #expect(result.status == 0, "curl failed: \(result.errorText)")
        let lines = result.text.split(separator: "\n", omittingEmptySubsequences: false)
        let last = lines.last?.split(separator: " ") ?? []
        return (
            last.first.flatMap { Int($0) } ?? 0, last.dropFirst().first.map(String.init) ?? "",
            lines.dropLast().joined(separator: "\n")
        )
    }

    static let transports = [["--http1.1"], ["--http2-prior-knowledge"]]

    @Test("mauth serve accepts what the proxy forwards: V1, V2 and both, bodies, escaped paths, queries")
    func behindServe() async throws {
        try await Self.withKeysDirectory { keys in
            let serve = try await RunningMAuth(serve: ["--keys-dir", keys.path])
            for versions in [[MAuthProtocolVersion.v1], [.v2], [.v1, .v2]] {
                let (proxy, _) = try await Self.proxy(
                    [try ProxyRoute(prefix: "/", upstream: serve.baseURL)], signer: try Self.signer(versions))
                for transport in Self.transports {
                    let get = try await Self.curl(transport + [proxy.baseURL + "/"])
                    #expect(get.status == 200, "\(versions) \(transport): \(get.body)")
                    #expect(
                        get.body
                            == #"{"msg":"authenticated","app_uuid":"\#(Fixtures.appUUID)","protocol_version":\#(versions.max()!.number)}"#
                    )
                    let body = #"{"name":"widget","ü":1}"#
                    let echo = try await Self.curl(transport + ["--data-binary", body, proxy.baseURL + "/echo"])
                    #expect(echo.status == 200)
                    #expect(echo.body == body)
                    // Authenticated, then not found: a signature that did not match would answer 401.
                    let escaped = try await Self.curl(
                        transport + [proxy.baseURL + "/files/%E2%82%AC/a%20b?b=2&a=1&q=x+y&r=%2Fhome&e=%C3%A9&flag"])
                    #expect(escaped.status == 404, "\(versions) \(transport): \(escaped.body)")
                    #expect(transport == ["--http1.1"] ? escaped.version == "1.1" : escaped.version == "2")
                }
                try await proxy.stop()
            }
            #expect(await serve.stop() == 0)
        }
    }

    @Test(
        "the Python reference middleware accepts what the proxy forwards",
        .enabled(if: PythonReference.interpreter != nil, Comment(rawValue: PythonReference.absentMessage)))
    func behindPython() async throws {
        // The Python app fetches keys from a MAuth service as the suite's app; the proxy signs as
        // another app.
        try await Self.withKeysDirectory { keys in
            let proxyApp = "5ff4257e-9c16-11e0-b048-0026bbfffe5e"
            try Fixtures.otherPrivateKey.publicKey.pem.write(
                to: keys.appendingPathComponent("\(proxyApp).pub"), atomically: true, encoding: .utf8)
            let service = try await RunningMAuth(service: ["--keys-dir", keys.path])
            let python = try await PythonReference.startMiddlewareServer(kind: "asgi", serviceURL: service.baseURL)
            for versions in [[MAuthProtocolVersion.v1], [.v2], [.v1, .v2]] {
                let signer = try MAuthSigner(
                    appUUID: proxyApp, privateKey: Fixtures.otherPrivateKey, versions: versions)
                let (proxy, _) = try await Self.proxy(
                    [try ProxyRoute(prefix: "/", upstream: python.baseURL)], signer: signer)
                let get = try await Self.curl([
                    "--retry", "20", "--retry-connrefused", proxy.baseURL + "/?b=2&a=1&q=x+y",
                ])
                #expect(get.status == 200, "\(versions): \(get.body)")
                #expect(get.body.contains(#""app_uuid": "\#(proxyApp)""#))
                #expect(get.body.contains(#""protocol_version": \#(versions.max()!.number)"#))
                let echo = try await Self.curl([
                    "--http2-prior-knowledge", "--data-binary", "ü body", proxy.baseURL + "/echo",
                ])
                #expect(echo.status == 200, "\(versions): \(echo.body)")
                #expect(echo.body == "ü body")
                try await proxy.stop()
            }
            _ = await python.stop()
            #expect(await service.stop() == 0)
        }
    }

    @Test("a body past the spool's memory threshold is spooled once, signed and streamed upstream")
    func largeBody() async throws {
        try await Self.withKeysDirectory { keys in
            try await withTemporaryDirectory("proxy-large-body") { directory in
                let file = directory.appendingPathComponent("body")
                try Data((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }).write(to: file)
                let serve = try await RunningMAuth(serve: ["--keys-dir", keys.path])
                for versions in [[MAuthProtocolVersion.v1], [.v2]] {
                    let (proxy, _) = try await Self.proxy(
                        [try ProxyRoute(prefix: "/", upstream: serve.baseURL)], signer: try Self.signer(versions),
                        maxBodySize: 8 << 20)
                    for transport in Self.transports {
                        let digest = try await Self.curl(
                            transport + [
                                "-H", "Content-Type: application/octet-stream", "--data-binary", "@\(file.path)",
                                proxy.baseURL + "/digest",
                            ])
                        #expect(digest.status == 200, "\(versions) \(transport): \(digest.body)")
                        #expect(
                            digest.body
                                == #"{"length":3000000,"sha256":"d781aa722f790c57bfd4fc25860267cfeb4ed410f07230aa41809a4c6c6246f1"}"#
                        )
                    }
                    try await proxy.stop()
                }
                #expect(await serve.stop() == 0)
            }
        }
    }

    @Test("hop-by-hop fields and foreign signatures are dropped, X-Forwarded fields added, one log line each")
    func forwardedHeaders() async throws {
        let upstream = try await RunningServer(InspectingUpstream.router)
        let (proxy, log) = try await Self.proxy([try ProxyRoute(prefix: "/", upstream: upstream.baseURL)])
        let authority = "127.0.0.1:\(proxy.ports.cleartext)"
        for transport in Self.transports {
            let seen = try await Self.curl(
                transport + [
                    "-H", "Connection: X-Secret", "-H", "X-Secret: s", "-H", "Keep-Alive: timeout=5",
                    "-H", "X-MWS-Authentication: MWS forged-app:c2lnbmF0dXJl", "-H", "X-MWS-Time: 1",
                    "-H", "X-Custom: kept", "-H", "X-Forwarded-For: 192.0.2.1", "-H", "Cookie: a=1", "-H",
                    "Cookie: b=2",
                    proxy.baseURL + "/headers?q=1",
                ])
            #expect(seen.status == 200)
            let lines = Set(seen.body.split(separator: "\n").map(String.init))
            #expect(lines.contains("x-custom: kept"))
            #expect(lines.contains("cookie: a=1; b=2"), "\(lines)")
            #expect(lines.contains("target: /headers?q=1"))
            #expect(lines.contains("x-forwarded-for: 192.0.2.1, 127.0.0.1"))
            #expect(lines.contains("x-forwarded-proto: http"))
            #expect(lines.contains("x-forwarded-host: \(authority)"))
            if transport == ["--http1.1"] {
                // Over HTTP/2 curl itself sends no Connection field, so X-Secret is an end-to-end field.
                #expect(!lines.contains { $0.hasPrefix("x-secret") || $0.hasPrefix("keep-alive") }, "\(lines)")
            }
            #expect(lines.contains { $0.hasPrefix("x-mws-authentication: MWS \(Fixtures.appUUID):") }, "\(lines)")
            #expect(lines.contains { $0.hasPrefix("mcc-authentication: MWSV2 \(Fixtures.appUUID):") })
            #expect(!lines.contains { $0.contains("forged-app") || $0 == "x-mws-time: 1" })
        }
        for escape in ["/headers/../x", "/headers/%2e%2E/x", "/./headers"] {
            let refused = try await Self.curl(["--path-as-is", proxy.baseURL + escape])
            #expect(refused.status == 400, "\(escape)")
        }
        let lines = log.all.filter { $0.message == "GET /headers 200" }
        #expect(lines.count == 2)
        #expect(!log.all.contains { $0.message.contains("q=1") }, "the query is logged at debug only")
        #expect(lines.allSatisfy { "\($0.metadata["proxy.upstream_status"] ?? "")" == "200" })
        #expect(lines.allSatisfy { $0.metadata["proxy.upstream_ms"] != nil && $0.metadata["http.duration_ms"] != nil })
        #expect(lines.allSatisfy { "\($0.metadata["proxy.upstream"] ?? "")" == upstream.baseURL })
        try await proxy.stop()
        try await upstream.stop()
    }

    @Test("routes by prefix on whole segments, the upstream's path first; redirects come back, never followed")
    func routesAndRedirects() async throws {
        let upstream = try await RunningServer(InspectingUpstream.router)
        let refusing = try RefusingPort()
        defer { refusing.close() }
        let down = refusing.baseURL
        let (proxy, _) = try await Self.proxy([
            try ProxyRoute(prefix: "/headers", upstream: upstream.baseURL),
            try ProxyRoute(prefix: "/", upstream: upstream.baseURL + "/base"),
            try ProxyRoute(prefix: "/gone", upstream: down),
        ])
        #expect(try await Self.curl([proxy.baseURL + "/headers"]).status == 200)
        #expect(try await Self.curl([proxy.baseURL + "/landed"]).body == "landed")
        #expect(try await Self.curl([proxy.baseURL + "/gone/x"]).status == 502)
        #expect(try await Self.curl([proxy.baseURL + "/gonex"]).status == 404, "/gone must not match /gonex")

        let redirect = try await Self.curl(["-D", "-", "-o", "/dev/null", proxy.baseURL + "/redirect"])
        #expect(redirect.status == 302)
        #expect(redirect.body.lowercased().contains("location: \(proxy.baseURL)/landed?x=1"), "\(redirect.body)")
        let followed = try await Self.curl(["-L", proxy.baseURL + "/redirect"])
        #expect(followed.body == "landed")
        let elsewhere = try await Self.curl(["-D", "-", "-o", "/dev/null", proxy.baseURL + "/redirect-elsewhere"])
        #expect(elsewhere.status == 301)
        #expect(elsewhere.body.lowercased().contains("location: https://elsewhere.example/"))
        try await proxy.stop()
        try await upstream.stop()
    }

    @Test(
        "a Location on the upstream, under its base path, is made to point at the proxy; any other is left alone",
        arguments: [
            ("http://up.example/base/landed?x=1", "http://proxy:8081/landed?x=1"),
            ("http://UP.example:80/base", "http://proxy:8081/"),
            ("/base/landed", "http://proxy:8081/landed"),
            ("/base?page=2", "http://proxy:8081/?page=2"),
            ("http://up.example/basement/x", "http://up.example/basement/x"),
            ("http://up.example/login", "http://up.example/login"),
            ("/login", "/login"),
            ("//up.example/base/x", "//up.example/base/x"),
            ("https://up.example/base/x", "https://up.example/base/x"),
            ("http://up.example.evil/base/x", "http://up.example.evil/base/x"),
            ("landed", "landed"),
        ])
    func locations(location: String, proxied: String) throws {
        let route = try ProxyRoute(prefix: "/", upstream: "http://up.example/base/")
        #expect(UpstreamForwarder.proxiedLocation(location, route: route, proxyOrigin: "http://proxy:8081") == proxied)
        let noBase = try ProxyRoute(prefix: "/", upstream: "https://up.example:443")
        #expect(
            UpstreamForwarder.proxiedLocation("https://up.example/a?b", route: noBase, proxyOrigin: "http://p")
                == "http://p/a?b")
        #expect(UpstreamForwarder.proxiedLocation("/a", route: noBase, proxyOrigin: "http://p") == "/a")
    }

    @Test("an upstream down, answering garbage or too slow gives 502, 502 and 504 naming it; a large body 413")
    func upstreamFailures() async throws {
        let refusing = try RefusingPort()
        defer { refusing.close() }
        let down = refusing.baseURL
        let garbage = try await RawUpstream(reply: "THIS IS NOT HTTP\r\n\r\n")
        let silent = try await RawUpstream(reply: nil)
        let upstream = try await RunningServer(InspectingUpstream.router)
        let impatient = UpstreamClient(timeout: .milliseconds(300))
        let (proxy, log) = try await Self.proxy(
            [
                try ProxyRoute(prefix: "/down", upstream: down),
                try ProxyRoute(prefix: "/garbage", upstream: garbage.baseURL),
                try ProxyRoute(prefix: "/slow", upstream: silent.baseURL),
                try ProxyRoute(prefix: "/", upstream: upstream.baseURL + "/base"),
            ],
            upstreamClient: impatient, maxBodySize: 16)
        for transport in Self.transports {
            let refused = try await Self.curl(transport + [proxy.baseURL + "/down"])
            #expect(refused.status == 502)
            #expect(refused.body == #"{"error":"\#(down) refused the connection."}"#)
            let notHTTP = try await Self.curl(transport + [proxy.baseURL + "/garbage"])
            #expect(notHTTP.status == 502)
            #expect(
                notHTTP.body.hasPrefix(#"{"error":"\#(garbage.baseURL) answered with something that is not HTTP"#),
                "\(notHTTP.body)")
            let slow = try await Self.curl(transport + [proxy.baseURL + "/slow"])
            #expect(slow.status == 504)
            #expect(slow.body.hasPrefix(#"{"error":"\#(silent.baseURL) did not answer within"#), "\(slow.body)")
            let large = try await Self.curl(transport + ["--data-binary", "seventeen bytes!!", proxy.baseURL + "/x"])
            #expect(large.status == 413)
        }
        #expect(log.all.contains { $0.message == "GET /down 502" && $0.metadata["proxy.upstream"] != nil })
        try await proxy.stop()
        try await upstream.stop()
        try await garbage.stop()
        try await silent.stop()
        try await impatient.shutdown()
    }

    @Test("with response authentication, signed responses pass and unsigned ones answer 502")
    func authenticatedResponses() async throws {
        try await withTemporaryDirectory("proxy-signed-responses") { directory in
            let keys = directory.appendingPathComponent(".mauth")
            try FileManager.default.createDirectory(at: keys, withIntermediateDirectories: true)
            try Fixtures.publicKeyPEM.write(
                to: keys.appendingPathComponent("\(Fixtures.appUUID).pub"), atomically: true, encoding: .utf8)
            let serve = try await RunningMAuth(serve: ["--sign-responses"], directory: directory)
            let unsigned = try await RunningServer(InspectingUpstream.router)
            let authenticator = MAuthAuthenticator(keyProvider: DirectoryPublicKeyProvider(directory: keys.path))
            let (proxy, _) = try await Self.proxy(
                [
                    try ProxyRoute(prefix: "/", upstream: serve.baseURL),
                    try ProxyRoute(prefix: "/headers", upstream: unsigned.baseURL),
                ],
                responseAuthenticator: authenticator)
            let signed = try await Self.curl([proxy.baseURL + "/"])
            #expect(signed.status == 200, "\(signed.body)")
            #expect(signed.body.contains(Fixtures.appUUID))
            let rejected = try await Self.curl([proxy.baseURL + "/headers"])
            #expect(rejected.status == 502)
            #expect(rejected.body.hasPrefix(#"{"error":"The response of \#(unsigned.baseURL) is inauthentic: "#))
            try await proxy.stop()
            try await unsigned.stop()
            #expect(await serve.stop() == 0)
        }
    }

    #if OpenTelemetry
        @Test(
            "mauth proxy --otel-endpoint: the caller's traceparent reaches the upstream through the proxy's spans, exported over OTLP",
            .enabled(if: PythonReference.interpreter != nil, Comment(rawValue: PythonReference.absentMessage)))
        func openTelemetry() async throws {
            let python = try #require(PythonReference.interpreter)
            let peers = try await RunningMAuth(
                executable: URL(fileURLWithPath: python),
                [Fixtures.packageRoot.appendingPathComponent("Tests/Interop/otel_collector.py").path],
                readyWhen: "upstream http://", directory: nil)
            let upstreamURL = try #require(
                peers.banner.split(separator: " ").last.map {
                    $0.trimmingCharacters(in: .whitespacesAndNewlines)
                })
            let proxy = try await RunningMAuth(
                executable: try ChildProcess.mauthExecutable(),
                [
                    "proxy", "--port", "0", "--log-level", "warning", "--upstream", upstreamURL,
                    "--otel-endpoint", peers.baseURL + "/v1/traces",
                ],
                readyWhen: "Try:", environment: Self.proxyEnvironment)
            let traceID = "0af7651916cd43dd8448eb211c80319c"
            let callerSpan = "b7ad6b7169203331"
            let answer = try await Self.curl([
                "-H", "traceparent: 00-\(traceID)-\(callerSpan)-01", proxy.baseURL + "/items",
            ])
            #expect(answer.status == 200)
            let received = answer.body.split(separator: "-").map(String.init)
            #expect(received.count == 4 && received[1] == traceID, "the upstream got \(answer.body)")
            #expect(received.count == 4 && received[2] != callerSpan, "the proxy's own span is the upstream's parent")
            #expect(await proxy.stop() == 0, "a graceful stop exports the spans still held")

            let exported = try await Self.curl([peers.baseURL + "/spans"])
            let spans = try #require(
                try JSONSerialization.jsonObject(with: Data(exported.body.utf8)) as? [[String: Any]])
            let server = try #require(spans.first { ($0["parent_span_id"] as? String) == callerSpan }, "\(spans)")
            #expect(server["trace_id"] as? String == traceID)
            #expect(server["service"] as? String == "mauth-proxy")
            let upstreamCall = try #require(spans.first { ($0["span_id"] as? String) == received.dropFirst(2).first })
            #expect(upstreamCall["trace_id"] as? String == traceID)
            #expect(upstreamCall["parent_span_id"] as? String == server["span_id"] as? String)
            _ = await peers.stop()
        }
    #endif

    @Test("mauth proxy: TLS on both sides, a 128 MiB response streamed whole with bounded memory; bad usage exits 2")
    func command() async throws {
        let upstream = try await RunningServer(InspectingUpstream.router)
        try await withTestCertificate { certificate in
            let tlsArguments = [
                "--tls-port", "0", "--tls-cert", certificate.certificatePath, "--tls-key", certificate.privateKeyPath,
            ]
            try await Self.withKeysDirectory { keys in
                let serve = try await RunningMAuth(serve: ["--keys-dir", keys.path] + tlsArguments)
                let secureUpstream = "https://localhost:\(try #require(serve.tlsPort))"
                let environment = Self.proxyEnvironment
                let proxy = try await RunningMAuth(
                    executable: try ChildProcess.mauthExecutable(),
                    [
                        "proxy", "--port", "0", "--log-level", "warning", "--upstream", upstream.baseURL,
                        "--sign-versions", "v2",
                        "--route", "/echo=\(secureUpstream)", "--insecure",
                    ] + tlsArguments,
                    readyWhen: "Try:", environment: environment)
                let proxyTLS = "https://localhost:\(try #require(proxy.tlsPort))"
                for transport in [["--http1.1"], ["--http2"]] {
                    let echo = try await Self.curl(transport + ["-k", "--data-binary", "over TLS", proxyTLS + "/echo"])
                    #expect(echo.status == 200, "\(transport): \(echo.body)")
                    #expect(echo.body == "over TLS")
                    #expect(echo.version == (transport == ["--http2"] ? "2" : "1.1"))
                    let seen = try await Self.curl(transport + ["-k", proxyTLS + "/headers"])
                    #expect(seen.body.contains("x-forwarded-proto: https"), "\(seen.body)")
                }
                #expect(proxy.banner.contains("mauth proxy: signing as \(Fixtures.appUUID) (v2)"))
                #expect(proxy.banner.contains("mauth proxy: / -> \(upstream.baseURL)"))
                let peakBefore = try Self.peakResidentMemory(of: proxy.processIdentifier)
                let curl = try #require(ChildProcess.find("curl"), "curl is needed for these tests")
                let downloaded = try await ChildProcess.run(
                    URL(fileURLWithPath: curl),
                    [
                        // A client slower than the upstream: the proxy must stop reading rather than hold
                        // what the client has not taken yet.
                        "-s", "-S", "--max-time", "60", "--limit-rate", "64M", "-o", "/dev/null", "-w",
                        "%{http_code} %{size_download}", proxy.baseURL + "/big",
                    ])
                #expect(downloaded.text == "200 \(InspectingUpstream.bigBodySize)", "\(downloaded.errorText)")
                // Holding the body would take 128 MiB more. Under a sanitizer (scripts/sanitize says which)
                // its shadow memory and quarantine of freed buffers grow with the traffic, so there the
                // figure says nothing about what the proxy holds.
                let growth = try Self.peakResidentMemory(of: proxy.processIdentifier) - peakBefore
                if ProcessInfo.processInfo.environment["MAUTH_SANITIZER"] == nil {
                    #expect(growth < 48 << 20, "the proxy's peak memory grew by \(growth >> 20) MiB")
                }
                #expect(await proxy.stop() == 0)
                #expect(await serve.stop() == 0)
                try await upstream.stop()
            }
        }

        for arguments in [["proxy"], ["proxy", "--route", "studies=https://a"], ["proxy", "--upstream", "ftp://a"]] {
            let result = try await ChildProcess.run(try ChildProcess.mauthExecutable(), arguments)
            #expect(result.status == 2, "\(arguments)")
            #expect(result.errorText.hasPrefix("Error: "), "\(arguments): \(result.errorText)")
        }
    }

    /// The most resident memory the process has used, from `VmHWM`.
    static func peakResidentMemory(of process: Int32) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(process)/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") })
        return try #require(Int(line.split(separator: " ").dropFirst().first ?? "")) * 1024
    }
}
