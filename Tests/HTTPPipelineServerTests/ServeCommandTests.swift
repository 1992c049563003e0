import Foundation
import HTTPTypes
import MAuth
import MAuthTestSupport
import Testing

/// `mauth serve` as a user runs it, called by independent clients: curl and the Python reference
/// client.
@Suite("mauth serve with real clients", .serialized)
struct ServeCommandTests {
    /// Runs `body` with a keys directory that registers the protocol test suite's app, and removes
    /// the directory afterwards.
    static func withKeysDirectory<Result>(_ body: (URL) async throws -> Result) async throws -> Result {
        try await withTemporaryDirectory("mauth-keys") { directory in
            try Fixtures.publicKeyPEM.write(
                to: directory.appendingPathComponent("\(Fixtures.appUUID).pub"),
                atomically: true,
                encoding: .utf8
            )
            return try await body(directory)
        }
    }

    static func signedHeaderArguments(
        method: String, target: String, body: String = "", versions: [MAuthProtocolVersion] = [.v1, .v2]
    )
        throws -> [String]
    {
        let signer = try MAuthSigner(appUUID: Fixtures.appUUID, privateKey: Fixtures.privateKey, versions: versions)
        let fields = try signer.headers(method: method, target: MAuthRequestTarget(target), body: Array(body.utf8))
        return fields.flatMap { ["-H", "\($0.name.rawName): \($0.value)"] }
    }

    /// Runs curl and returns the body followed by a line `<status> <http version>`.
    static func curl(_ arguments: [String]) async throws -> (status: String, version: String, body: String) {
        let curl = try #require(ChildProcess.find("curl"), "curl is needed for these tests")
        let result = try await ChildProcess.run(
            URL(fileURLWithPath: curl),
            ["-s", "-S", "--max-time", "10", "-w", "\n%{http_code} %{http_version}"] + arguments
        )
        #expect(result.status == 0, "curl failed: \(result.errorText)")
        let lines = result.text.split(separator: "\n", omittingEmptySubsequences: false)
        let last = lines.last?.split(separator: " ") ?? []
        return (
            last.first.map(String.init) ?? "", last.dropFirst().first.map(String.init) ?? "",
            lines.dropLast().joined(separator: "\n")
        )
    }

    @Test("curl over HTTP/1.1, HTTP/2 prior knowledge and HTTP/2 over TLS")
    func curlClients() async throws {
        try await withTestCertificate { certificate in
            try await Self.withKeysDirectory { keys in
                let serve = try await RunningMAuth(serve: [
                    "--keys-dir", keys.path, "--tls-port", "0",
                    "--tls-cert", certificate.certificatePath, "--tls-key", certificate.privateKeyPath,
                ])
                let http = serve.baseURL
                let https = "https://localhost:\(try #require(serve.tlsPort))"
                let signedGet = try Self.signedHeaderArguments(method: "GET", target: "/")
                let expected = #"{"msg":"authenticated","app_uuid":"\#(Fixtures.appUUID)","protocol_version":2}"#

                let http1 = try await Self.curl(["--http1.1"] + signedGet + [http + "/"])
                #expect((http1.status, http1.version, http1.body) == ("200", "1.1", expected))
                let h2c = try await Self.curl(["--http2-prior-knowledge"] + signedGet + [http + "/"])
                #expect((h2c.status, h2c.version, h2c.body) == ("200", "2", expected))
                let h2 = try await Self.curl(["--http2", "-k"] + signedGet + [https + "/"])
                #expect((h2.status, h2.version, h2.body) == ("200", "2", expected))

                let large = String(repeating: "a", count: 14_000)
                for protocolFlag in ["--http1.1", "--http2-prior-knowledge"] {
                    let tooLargeHead = try await Self.curl([
                        protocolFlag, "-H", "X-Large: \(large)", http + "/app_status",
                    ])
                    #expect(tooLargeHead.status == "431", "\(protocolFlag)")
                    let unsigned = try await Self.curl([protocolFlag, http + "/"])
                    #expect(unsigned.status == "401")
                    #expect(
                        unsigned.body.hasPrefix(
                            #"{"errors":{"mauth":["Authentication Failed. No mAuth signature present"#))
                    let exempt = try await Self.curl([protocolFlag, http + "/app_status"])
                    #expect((exempt.status, exempt.body) == ("200", "this route is exempt from authentication"))
                }
                #expect(await serve.stop() == 0)
            }
        }
    }

    @Test(
        "bodies survive authentication: echo, Expect: 100-continue, HEAD, and 413",
        arguments: ["--http1.1", "--http2-prior-knowledge"])
    func bodies(protocolFlag: String) async throws {
        try await Self.withKeysDirectory { keys in
            let serve = try await RunningMAuth(serve: [
                "--keys-dir", keys.path, "--max-body-size", "100000",
            ])
            let body = String(repeating: "0123456789", count: 5000)
            try await withTemporaryDirectory("mauth-body") { bodyDirectory in
                let bodyFile = bodyDirectory.appendingPathComponent("body.txt")
                try body.write(to: bodyFile, atomically: true, encoding: .utf8)
                let signedPost = try Self.signedHeaderArguments(method: "POST", target: "/echo", body: body)
                let echoed = try await Self.curl(
                    [protocolFlag, "-H", "Expect: 100-continue", "--data-binary", "@\(bodyFile.path)"] + signedPost + [
                        serve.baseURL + "/echo"
                    ]
                )
                #expect(echoed.status == "200")
                #expect(echoed.body == body)

                let head = try await Self.curl([protocolFlag, "-I", serve.baseURL + "/app_status"])
                #expect(head.status == "200")
                #expect(head.body.lowercased().contains("content-length: 40"))
                #expect(!head.body.contains("exempt from authentication"))

                let large = String(repeating: "x", count: 100_001)
                try large.write(to: bodyFile, atomically: true, encoding: .utf8)
                let tooLarge = try await Self.curl(
                    [protocolFlag, "--data-binary", "@\(bodyFile.path)"]
                        + (try Self.signedHeaderArguments(method: "POST", target: "/echo", body: large)) + [
                            serve.baseURL + "/echo"
                        ]
                )
                #expect(tooLarge.status == "413")
                #expect(await serve.stop() == 0)
            }
        }
    }

    @Test(
        "requests signed by the Python reference client authenticate",
        .enabled(if: PythonReference.interpreter != nil, Comment(rawValue: PythonReference.absentMessage)),
        arguments: ["v1", "v2", "v1,v2"]
    )
    func pythonClient(versions: String) async throws {
        try await Self.withKeysDirectory { keys in
            let serve = try await RunningMAuth(serve: ["--keys-dir", keys.path])
            let requests: [[String: Any]] = [
                ["method": "GET", "url": "/", "body_base64": ""],
                [
                    "method": "POST", "url": "/echo",
                    "body_base64": Data(#"{"name":"widget","ü":1}"#.utf8).base64EncodedString(),
                ],
                ["method": "GET", "url": "/?b=2&a=1&q=x+y", "body_base64": ""],
                ["method": "GET", "url": "/app_status", "body_base64": ""],
                // Past the spool's 1 MiB threshold: authenticated from its digest as it streams.
                [
                    "method": "POST", "url": "/digest",
                    "body_base64": Data((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
                        .base64EncodedString(),
                ],
            ]
            let results = try await PythonReference.run(
                mode: "send",
                input: [
                    "base_url": serve.baseURL, "app_uuid": Fixtures.appUUID, "private_key_pem": Fixtures.privateKeyPEM,
                    "sign_versions": versions, "requests": requests,
                ]
            )
            let version = versions.contains("v2") ? 2 : 1
            #expect(results.map { $0["status"] as? Int } == [200, 200, 200, 200, 200])
            #expect(
                results[0]["body"] as? String
                    == #"{"msg":"authenticated","app_uuid":"\#(Fixtures.appUUID)","protocol_version":\#(version)}"#)
            #expect(results[1]["body"] as? String == #"{"name":"widget","ü":1}"#)
            #expect(
                results[4]["body"] as? String
                    == #"{"length":3000000,"sha256":"d781aa722f790c57bfd4fc25860267cfeb4ed410f07230aa41809a4c6c6246f1"}"#
            )
            #expect(await serve.stop() == 0)
        }
    }

    @Test("with no options it makes a development identity, and its printed command authenticates")
    func developmentDefault() async throws {
        try await withTemporaryDirectory("mauth-serve") { workingDirectory in
            let serve = try await RunningMAuth(serve: [], directory: workingDirectory)
            let marker = workingDirectory.appendingPathComponent(".mauth/development-app-uuid")
            let appUUID = try String(contentsOf: marker, encoding: .utf8).trimmingCharacters(
                in: .whitespacesAndNewlines)
            #expect(
                FileManager.default.fileExists(
                    atPath: workingDirectory.appendingPathComponent(".mauth/\(appUUID).pub").path))
            let command = try #require(serve.banner.split(separator: "\n").first { $0.contains("curl -H @<(") })
            let bash = try #require(ChildProcess.find("bash"))
            let result = try await ChildProcess.run(
                URL(fileURLWithPath: bash), ["-c", String(command) + " -s"], directory: workingDirectory)
            #expect(
                result.text == #"{"msg":"authenticated","app_uuid":"\#(appUUID)","protocol_version":2}"#,
                "\(result.errorText)")
            let requestLine = try #require(
                serve.banner.split(separator: "\n").first { $0.hasPrefix("Or, from this directory: ") })
            let viaRequest = try await ChildProcess.run(
                URL(fileURLWithPath: bash), ["-c", requestLine.dropFirst("Or, from this directory: ".count) + " -q"],
                directory: workingDirectory
            )
            #expect(
                viaRequest.text == #"{"msg":"authenticated","app_uuid":"\#(appUUID)","protocol_version":1}"#,
                "\(viaRequest.errorText)")
            #expect(await serve.stop() == 0)

            let again = try await RunningMAuth(serve: [], directory: workingDirectory)
            #expect(again.banner.contains(appUUID), "the development identity is reused")
            #expect(await again.stop() == 0)
        }
    }

    @Test("--metrics-port serves requests by status and protocol and authentications by version, for Prometheus")
    func metricsEndpoint() async throws {
        try await Self.withKeysDirectory { keys in
            let serve = try await RunningMAuth(serve: ["--keys-dir", keys.path, "--metrics-port", "0"])
            let line = try #require(serve.banner.split(separator: "\n").first { $0.contains("metrics on ") })
            let metricsURL = String(line.split(separator: " ").last ?? "")
            #expect(metricsURL.hasPrefix("http://127.0.0.1:") && metricsURL.hasSuffix("/metrics"))
            let signedV2 = try Self.signedHeaderArguments(method: "GET", target: "/", versions: [.v2])
            #expect(try await Self.curl(signedV2 + ["\(serve.baseURL)/"]).status == "200")
            #expect(try await Self.curl(signedV2 + ["--http2-prior-knowledge", "\(serve.baseURL)/"]).status == "200")
            let signedV1 = try Self.signedHeaderArguments(method: "GET", target: "/", versions: [.v1])
            #expect(try await Self.curl(signedV1 + ["\(serve.baseURL)/"]).status == "200")
            #expect(try await Self.curl(["\(serve.baseURL)/"]).status == "401")
            #expect(try await Self.curl(["\(serve.baseURL)/app_status"]).status == "200")
            let largeHead = ["-H", "X-Large: \(String(repeating: "a", count: 13 * 1024))"]
            #expect(try await Self.curl(largeHead + ["\(serve.baseURL)/app_status"]).status == "431")

            let scrape = try await Self.curl(["-i", metricsURL])
            #expect(scrape.status == "200")
            #expect(scrape.body.contains("text/plain; version=0.0.4"))
            #expect(scrape.body.lowercased().contains("\ndate: "), "every response carries its Date")
            let samples = Set(scrape.body.split(separator: "\n").map(String.init))
            for expected in [
                #"http_server_requests_total{status="200",protocol="HTTP/1.1"} 3"#,
                #"http_server_requests_total{status="200",protocol="HTTP/2"} 1"#,
                #"http_server_requests_total{status="401",protocol="HTTP/1.1"} 1"#,
                #"http_server_requests_total{status="431",protocol="HTTP/1.1"} 1"#,
                #"http_server_request_duration_seconds_count{protocol="HTTP/1.1"} 4"#,
                #"mauth_authentications_total{result="authentic",version="v2"} 2"#,
                #"mauth_authentications_total{result="authentic",version="v1"} 1"#,
                #"mauth_authentications_total{result="inauthentic",version="none"} 1"#,
                #"mauth_authentication_duration_seconds_count 4"#,
            ] {
                #expect(samples.contains(expected), "\(expected) in:\n\(scrape.body)")
            }
            #expect(
                try await Self.curl([metricsURL.replacingOccurrences(of: "/metrics", with: "/other")]).status == "404")
            #expect(await serve.stop() == 0)
        }
    }

    @Test("the access log has one line a request, in swift-log's format, all written by the exit")
    func accessLog() async throws {
        try await withTemporaryDirectory("mauth-access-log") { logDirectory in
            let log = logDirectory.appendingPathComponent("stderr")
            try await Self.withKeysDirectory { keys in
                let serve = try await RunningMAuth(
                    ["serve", "--port", "0", "--log-level", "info", "--keys-dir", keys.path],
                    readyWhen: "Unsigned, exempt:", directory: nil, standardError: log)
                let requests = 200
                let curl = try #require(ChildProcess.find("curl"), "curl is needed for these tests")
                // One connection carries them all, as curl reuses it.
                let reply = try await ChildProcess.run(
                    URL(fileURLWithPath: curl), ["-s"] + (0..<requests).map { "\(serve.baseURL)/app_status?n=\($0)" })
                #expect(reply.status == 0)
                let largeHead = ["-H", "X-Large: \(String(repeating: "a", count: 13 * 1024))"]
                #expect(try await Self.curl(largeHead + ["\(serve.baseURL)/app_status"]).status == "431")
                #expect(await serve.stop() == 0)
                let lines = try String(contentsOf: log, encoding: .utf8).split(separator: "\n")
                let refused = lines.filter { $0.hasSuffix("[HTTPPipelineServer] - - 431") }
                #expect(refused.count == 1, "the connection's own answer has its line")
                #expect(refused.first?.contains("http.error=The request head is too large.") == true, "\(refused)")
                let access = lines.filter { $0.hasSuffix(" 200") && $0.contains("GET /app_status?n=") }
                #expect(access.count == requests, "every request's line is written by the exit")
                let pattern =
                    #/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} info mauth\.serve: http\.duration_ms=\d+\.\d{3} http\.protocol=HTTP/1\.1 http\.remote=\S+ \[HTTPPipelineServer\] GET /app_status\?n=0 200$/#
                #expect(access.first.map { $0.wholeMatch(of: pattern) != nil } == true, "\(access.first ?? "no line")")
                #expect(access.last?.hasSuffix("GET /app_status?n=\(requests - 1) 200") == true, "in order")
            }
        }
    }

    @Test(
        "a port in use, an unloadable TLS file or an unwritable spool directory ends the command with a one-line reason"
    )
    func startupFailures() async throws {
        try await withTemporaryDirectory("mauth-serve-failures") { workingDirectory in
            let serve = try await RunningMAuth(serve: [], directory: workingDirectory)
            let mauth = try ChildProcess.mauthExecutable()
            let taken = try await ChildProcess.run(
                mauth, ["serve", "--port", "\(serve.port)"], directory: workingDirectory)
            #expect(taken.status == 1)
            #expect(taken.errorText == "mauth: cannot listen on 127.0.0.1:\(serve.port): Address already in use\n")
            #expect(await serve.stop() == 0)

            try await withTestCertificate { certificate in
                for (certificateFile, keyFile, reason) in [
                    (
                        "/nonexistent/cert.pem", certificate.privateKeyPath,
                        "cannot load the TLS certificate chain '/nonexistent/cert.pem': it does not exist"
                    ),
                    (
                        certificate.certificatePath, certificate.certificatePath,
                        "cannot load the TLS private key '\(certificate.certificatePath)': it is not PEM text"
                    ),
                ] {
                    let failed = try await ChildProcess.run(
                        mauth,
                        [
                            "serve", "--port", "0", "--tls-port", "0", "--tls-cert", certificateFile, "--tls-key",
                            keyFile,
                        ],
                        directory: workingDirectory)
                    #expect(failed.status == 1)
                    #expect(failed.errorText.hasPrefix("mauth: " + reason), "\(failed.errorText)")
                    #expect(failed.errorText.split(separator: "\n").count == 1, "\(failed.errorText)")
                }
            }

            let unwritable = try await ChildProcess.run(
                mauth, ["serve", "--port", "0", "--spool-dir", "/nonexistent/spool"], directory: workingDirectory)
            #expect(unwritable.status == 2)
            #expect(
                unwritable.errorText
                    == "mauth: --spool-dir: Cannot create a spool file in /nonexistent/spool: No such file or directory\n"
            )
        }
    }

    @Test(
        "pinned to one core, mauth serve runs one event loop; NIO_SINGLETON_GROUP_LOOP_COUNT still chooses, with a warning",
        .enabled(if: ChildProcess.find("taskset") != nil, "needs taskset (util-linux) and Linux's /proc"),
        arguments: [nil, "2"])
    func eventLoopsMatchTheUsableCores(chosen: String?) async throws {
        let taskset = try #require(ChildProcess.find("taskset"))
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let allowed = try #require(status.split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") })
        let firstCore = String(
            allowed.dropFirst("Cpus_allowed_list:".count).drop(while: { !$0.isNumber }).prefix(while: \.isNumber))
        var environment = ProcessInfo.processInfo.environment
        environment["NIO_SINGLETON_GROUP_LOOP_COUNT"] = chosen
        try await Self.withKeysDirectory { keys in
            let errors = keys.appendingPathComponent("stderr")
            let serve = try await RunningMAuth(
                executable: URL(fileURLWithPath: taskset),
                [
                    "-c", firstCore, try ChildProcess.mauthExecutable().path, "serve", "--port", "0", "--keys-dir",
                    keys.path,
                    "--log-level", "warning",
                ],
                readyWhen: "Unsigned, exempt:", environment: environment, standardError: errors)
            let threads = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(serve.processIdentifier)/task")
            let loops = try threads.filter { thread in
                let name = try String(
                    contentsOfFile: "/proc/\(serve.processIdentifier)/task/\(thread)/comm", encoding: .utf8)
                return name.hasPrefix("NIO-SGLTN")
            }
            #expect(loops.count == Int(chosen ?? "1"))
            #expect(await serve.stop() == 0)
            let warned = try String(contentsOf: errors, encoding: .utf8).contains("More event loops than cores")
            #expect(warned == (chosen != nil))
        }
    }
}
