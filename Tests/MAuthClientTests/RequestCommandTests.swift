import Foundation
import MAuthTestSupport
import Testing

/// `mauth request` run as a user runs it, against `mauth serve` in the same working directory, so
/// both use the development identity in `.mauth/`.
@Suite("mauth request", .serialized)
struct RequestCommandTests {
    static func request(_ arguments: [String], in directory: URL) async throws -> ChildProcess.Result {
        var environment = ProcessInfo.processInfo.environment
        for name in [
            "MAUTH_APP_UUID", "APP_UUID", "MAUTH_PRIVATE_KEY", "PRIVATE_KEY", "MAUTH_PRIVATE_KEY_FILE", "MAUTH_URL",
        ] {
            environment[name] = nil
        }
        return try await ChildProcess.run(
            try ChildProcess.mauthExecutable(), ["request"] + arguments, environment: environment, directory: directory)
    }

    @Test("a refusal from a server whose clock is far off names the skew; --correct-clock-skew signs again")
    func clockSkew() async throws {
        let server = try await SkewedServer(skew: -1000)
        var environment = ProcessInfo.processInfo.environment
        environment["MAUTH_URL"] = nil
        environment["MAUTH_PRIVATE_KEY_FILE"] = nil
        environment["PRIVATE_KEY"] = nil
        environment["APP_UUID"] = nil
        environment["MAUTH_APP_UUID"] = Fixtures.appUUID
        environment["MAUTH_PRIVATE_KEY"] = Fixtures.privateKeyPEM
        try await withTemporaryDirectory("mauth-request-skew") { directory in
            let refused = try await ChildProcess.run(
                try ChildProcess.mauthExecutable(), ["request", "-q", "GET", server.baseURL + "/"],
                environment: environment, directory: directory)
            #expect(refused.status == 1)
            #expect(refused.errorText.contains("the server answered 401 Unauthorized; the server's clock is "))
            #expect(
                refused.errorText.contains(
                    " s behind this machine's; MAuth allows 300 s: set this machine's clock, or pass --correct-clock-skew"
                ),
                "\(refused.errorText)")

            let corrected = try await ChildProcess.run(
                try ChildProcess.mauthExecutable(),
                ["request", "-q", "--correct-clock-skew", "GET", server.baseURL + "/"], environment: environment,
                directory: directory)
            #expect(corrected.status == 0, "\(corrected.errorText)")
            #expect(corrected.text == Fixtures.appUUID)
            #expect(corrected.errorText.contains("signing again with the server's time"))
        }
        try await server.stop()
    }

    @Test("the identity comes from ~/.mauth_config.yml or --config; a bad file is one line and exit 2")
    func configurationFile() async throws {
        try await withTemporaryDirectory("mauth-request-config") { home in
            let keys = home.appendingPathComponent("keys")
            try FileManager.default.createDirectory(at: keys, withIntermediateDirectories: true)
            try Fixtures.publicKeyPEM.write(
                to: keys.appendingPathComponent("\(Fixtures.appUUID).pub"), atomically: true, encoding: .utf8)
            try Fixtures.privateKeyPEM.write(
                to: home.appendingPathComponent("app.pem"), atomically: true, encoding: .utf8)
            try "common:\n  app_uuid: \(Fixtures.appUUID)\n  private_key_file: ~/app.pem\n".write(
                to: home.appendingPathComponent(".mauth_config.yml"), atomically: true, encoding: .utf8)
            try "production:\n  app_uuid: [not, a, string]\n".write(
                to: home.appendingPathComponent("mauth.yml"), atomically: true, encoding: .utf8)
            let serve = try await RunningMAuth(serve: ["--keys-dir", keys.path])
            var environment = ProcessInfo.processInfo.environment
            for name in [
                "MAUTH_APP_UUID", "APP_UUID", "MAUTH_PRIVATE_KEY", "PRIVATE_KEY", "MAUTH_PRIVATE_KEY_FILE", "MAUTH_URL",
            ] {
                environment[name] = nil
            }
            environment["HOME"] = home.path
            let mauth = try ChildProcess.mauthExecutable()
            let signed = try await ChildProcess.run(
                mauth, ["request", "-q", "GET", serve.baseURL + "/"], environment: environment, directory: home)
            #expect(signed.status == 0, "\(signed.errorText)")
            #expect(signed.text.contains(Fixtures.appUUID))

            let bad = try await ChildProcess.run(
                mauth,
                ["request", "--config", "mauth.yml", "--config-section", "production", "GET", serve.baseURL + "/"],
                environment: environment, directory: home)
            #expect(bad.status == 2)
            #expect(bad.errorText == "mauth: mauth.yml: production.app_uuid must be a string\n", "\(bad.errorText)")
            #expect(await serve.stop() == 0)
        }
    }

    @Test("transcripts, quiet output and exit statuses")
    func transcripts() async throws {
        try await withTemporaryDirectory("mauth-request") { directory in
            let serve = try await RunningMAuth(serve: ["--sign-responses"], directory: directory)
            let appUUID = try String(
                contentsOf: directory.appendingPathComponent(".mauth/development-app-uuid"), encoding: .utf8
            )
            .trimmingCharacters(in: .whitespacesAndNewlines)
            let expected = #"{"msg":"authenticated","app_uuid":"\#(appUUID)","protocol_version":2}"#

            let verbose = try await Self.request(
                ["--sign-versions", "v1,v2", "GET", serve.baseURL + "/"], in: directory)
            #expect(verbose.status == 0, "\(verbose.errorText)")
            #expect(verbose.text.hasPrefix("> GET / HTTP/1.1\n> Host: \(serve.baseURL.dropFirst("http://".count))\n"))
            #expect(verbose.text.contains("> MCC-Authentication: MWSV2 \(appUUID):"))
            #expect(verbose.text.contains("< HTTP/1.1 200 OK\n"))
            #expect(verbose.text.hasSuffix("<\n" + expected))
            #expect(!verbose.text.contains("\u{1B}["), "no colour when not on a terminal")

            for (transport, version) in [([String](), "HTTP/1.1"), (["--http2-prior-knowledge"], "HTTP/2")] {
                let cleaned = try await Self.request(transport + ["GET", serve.baseURL + "/?a=1&&b=2"], in: directory)
                #expect(cleaned.status == 0, "\(cleaned.errorText)")
                #expect(cleaned.text.hasPrefix("> GET /?a=1&b=2 \(version)\n"), "the transcript shows what was sent")
            }

            let quiet = try await Self.request(
                ["-q", "--sign-versions", "v2", "POST", serve.baseURL + "/echo", #"{"a":1}"#], in: directory)
            #expect(quiet.status == 0)
            #expect(quiet.text == #"{"a":1}"#)

            let authenticated = try await Self.request(
                ["--authenticate-response", "GET", serve.baseURL + "/"], in: directory)
            #expect(authenticated.status == 0, "\(authenticated.errorText)")
            #expect(authenticated.text.contains("< MAuth: authentic response from \(appUUID) (v1)"))

            let h2c = try await Self.request(
                ["--http2-prior-knowledge", "--authenticate-response", "POST", serve.baseURL + "/echo", "hello"],
                in: directory)
            #expect(h2c.status == 0, "\(h2c.errorText)")
            #expect(h2c.text.hasPrefix("> POST /echo HTTP/2\n"))
            #expect(h2c.text.contains("< HTTP/2 200 OK\n"))
            #expect(h2c.text.contains("< MAuth: authentic response from \(appUUID) (v1)"))
            #expect(
                try await Self.request(["--http2-prior-knowledge", "GET", "https://localhost/"], in: directory).status
                    == 2)

            for transport in [[], ["--http2-prior-knowledge"]] {
                let explained = try await Self.request(
                    transport + [
                        "--explain", "--sign-versions", "v1,v2", "POST", serve.baseURL + "/echo?b=2&a=1", "hi",
                    ],
                    in: directory)
                #expect(explained.status == 0, "\(explained.errorText)")
                #expect(
                    explained.text.contains(
                        "* signed v2 (MCC-Authentication) as app \(appUUID):\n*   method  POST\n*   path    /echo\n"))
                #expect(explained.text.contains("*   query   a=1&b=2\n"))
                #expect(explained.text.contains("* signed v1 (X-MWS-Authentication) as app \(appUUID):\n"))
                #expect(explained.text.contains("*   body    2 bytes, SHA-512 "))
            }

            let missing = try await Self.request(["-q", "GET", serve.baseURL + "/nothing"], in: directory)
            #expect(missing.status == 1)
            #expect(missing.errorText == "mauth: the server answered 404 Not Found\n")

            #expect(await serve.stop() == 0)
            let refused = try await Self.request(["GET", serve.baseURL + "/"], in: directory)
            #expect(refused.status == 1)
            #expect(refused.errorText.hasPrefix("mauth: could not complete the request to \(serve.baseURL)/"))
        }
    }

    @Test("a body file is signed and sent in pieces, over both transports, with V1 and V2")
    func bodyFile() async throws {
        try await withTemporaryDirectory("mauth-request-file") { directory in
            let file = directory.appendingPathComponent("upload.bin")
            try Data((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }).write(to: file)
            let serve = try await RunningMAuth(serve: ["--sign-responses"], directory: directory)
            for transport in [[String](), ["--http2-prior-knowledge"]] {
                for versions in ["v1", "v2"] {
                    let answer = try await Self.request(
                        transport + [
                            "-q", "--sign-versions", versions, "--authenticate-response", "-t",
                            "application/octet-stream", "POST", serve.baseURL + "/digest", "@\(file.path)",
                        ], in: directory)
                    #expect(answer.status == 0, "\(transport) \(versions): \(answer.errorText)")
                    #expect(
                        answer.text
                            == #"{"length":3000000,"sha256":"d781aa722f790c57bfd4fc25860267cfeb4ed410f07230aa41809a4c6c6246f1"}"#
                    )
                }
            }
            // A signed 3 MB response waits in the spool and is authenticated from its digest.
            let echoed = try await Self.request(
                ["-q", "--authenticate-response", "POST", serve.baseURL + "/echo", "@\(file.path)"], in: directory)
            #expect(echoed.status == 0, "\(echoed.errorText)")
            #expect(echoed.output == (try Data(contentsOf: file)))
            let explained = try await Self.request(
                ["--explain", "POST", serve.baseURL + "/digest", "@\(file.path)"], in: directory)
            #expect(explained.text.contains("* the strings to sign are not shown for a body over 1048576 bytes"))
            let missing = try await Self.request(
                ["POST", serve.baseURL + "/digest", "@/nonexistent/body"], in: directory)
            #expect(missing.status == 2)
            #expect(missing.errorText == "mauth: cannot read the body file '/nonexistent/body'\n")
            #expect(await serve.stop() == 0)
        }
    }

    @Test("HTTP/2 when the server offers it over TLS")
    func http2OverTLS() async throws {
        try await withTemporaryDirectory("mauth-request-tls") { directory in
            try await withTestCertificate { certificate in
                let serve = try await RunningMAuth(
                    serve: [
                        "--tls-port", "0", "--tls-cert", certificate.certificatePath, "--tls-key",
                        certificate.privateKeyPath,
                    ],
                    directory: directory
                )
                let url = "https://localhost:\(try #require(serve.tlsPort))/"
                let answer = try await Self.request(["--insecure", "GET", url], in: directory)
                #expect(answer.status == 0, "\(answer.errorText)")
                #expect(answer.text.contains("< HTTP/2 200 OK\n"))
                let verified = try await Self.request(["GET", url], in: directory)
                #expect(verified.status == 1, "the self-signed certificate is refused without --insecure")
                #expect(verified.errorText.contains("the server's TLS certificate is not trusted (pass --insecure"))
                #expect(await serve.stop() == 0)
            }
        }
    }

    @Test("an unsigned response fails --authenticate-response, a refused connection exits 1, bad usage 2")
    func failures() async throws {
        try await withTemporaryDirectory("mauth-request") { directory in
            let serve = try await RunningMAuth(serve: [], directory: directory)
            let unsigned = try await Self.request(
                ["--authenticate-response", "GET", serve.baseURL + "/"], in: directory)
            #expect(unsigned.status == 1)
            #expect(
                unsigned.errorText.hasPrefix(
                    "mauth: the response is inauthentic: Authentication Failed. No mAuth signature present"))
            let port = serve.port
            #expect(await serve.stop() == 0)

            let started = ContinuousClock.now
            let refused = try await Self.request(["GET", "http://127.0.0.1:\(port)/"], in: directory)
            #expect(refused.status == 1)
            #expect(refused.errorText.hasSuffix("the connection was refused (is the server running?)\n"))
            #expect(started.duration(to: .now) < .seconds(5), "a refused connection is reported at once")

            try await withTemporaryDirectory("mauth-request-empty") { empty in
                let noIdentity = try await Self.request(["GET", "http://127.0.0.1:1/"], in: empty)
                #expect(noIdentity.status == 2)
                #expect(noIdentity.errorText.hasPrefix("mauth: no identity"))
            }
            for arguments in [
                ["GET", "ftp://example.com/"], ["-q", "-v", "GET", "http://127.0.0.1/"],
                ["-H", "nocolon", "GET", "http://127.0.0.1/"], ["", "http://127.0.0.1/"],
            ] {
                #expect(try await Self.request(arguments, in: directory).status == 2, "\(arguments)")
            }
        }
    }
}
