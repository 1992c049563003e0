#if VaporSupport
    import BodySpool
    import Foundation
    import HTTPTypes
    import MAuth
    import MAuthMiddleware
    import MAuthTestSupport
    import MAuthVapor
    import Testing
    import VaporTesting

    /// `MAuthVaporMiddleware` in a Vapor 4 application, called through a running server.
    @Suite("Vapor middleware", .serialized)
    struct VaporMiddlewareTests {
        static let maxBodySize = 1024

        /// Every authenticated route answers the body it read, with the caller in `X-Caller`.
        static func configure(
            _ app: Application,
            authenticator: MAuthAuthenticator = Fixtures.authenticator(now: IntegrationRequests.time)
        ) {
            app.logger.logLevel = .warning
            app.get("open") { _ in "outside the group" }
            let signed = app.grouped(
                MAuthVaporMiddleware(
                    authenticator: authenticator, exemptPaths: ["/app_status"], maxBodySize: maxBodySize))
            signed.get("app_status") { _ in "exempt" }
            let echo: @Sendable (Request) async throws -> Response = { request in
                let caller = try request.auth.require(MAuthIdentity.self)
                var headers = HTTPHeaders()
                headers.add(name: "X-Caller", value: "\(caller.appUUID) v\(caller.version.number)")
                return Response(status: .ok, headers: headers, body: .init(buffer: request.body.data ?? ByteBuffer()))
            }
            for method in [HTTPMethod.GET, .POST, .PUT, .DELETE] {
                signed.on(method, use: echo)
                signed.on(method, "**", use: echo)
            }
        }

        static func headers(_ signed: IntegrationRequests.Signed) -> HTTPHeaders {
            HTTPHeaders(signed.headers.map { ($0.name, $0.value) })
        }

        @Test(
            "requests the Python reference signs reach the route with their identity and body",
            .enabled(if: PythonReference.interpreter != nil, Comment(rawValue: PythonReference.absentMessage)),
            arguments: ["v1", "v2", "v1,v2"])
        func pythonSigned(versions: String) async throws {
            let requests = try await IntegrationRequests.pythonSigned(versions: versions)
            try await withApp { app in
                Self.configure(app)
                let tester = try app.testing(method: .running(port: 0))
                for signed in requests {
                    try await tester.test(
                        HTTPMethod(rawValue: signed.request.method), signed.request.target,
                        headers: Self.headers(signed),
                        body: ByteBuffer(bytes: signed.request.body)
                    ) { response in
                        #expect(response.status == .ok, "\(signed): \(response.body.string)")
                        #expect(
                            response.headers.first(name: "X-Caller")
                                == IntegrationRequests.caller(version: signed.version))
                        #expect(Array(buffer: response.body) == signed.request.body, "\(signed)")
                    }
                }
            }
        }

        @Test(
            "unsigned, tampered and expired requests answer 401, a failing key store 500, with the middleware's JSON",
            .enabled(if: PythonReference.interpreter != nil, Comment(rawValue: PythonReference.absentMessage)))
        func failures() async throws {
            let signed = try #require(try await IntegrationRequests.pythonSigned(versions: "v2").first)
            let now = IntegrationRequests.time + 301
            let cases:
                [(
                    authenticator: MAuthAuthenticator, path: String, headers: HTTPHeaders, status: HTTPStatus,
                    body: String
                )] = [
                    (
                        Fixtures.authenticator(now: IntegrationRequests.time), "/", [:], .unauthorized,
                        IntegrationRequests.unsignedBody
                    ),
                    (
                        Fixtures.authenticator(now: IntegrationRequests.time), "/other", Self.headers(signed),
                        .unauthorized, IntegrationRequests.mismatchBody
                    ),
                    (
                        Fixtures.authenticator(now: now), "/", Self.headers(signed), .unauthorized,
                        IntegrationRequests.expiredBody(now: now)
                    ),
                    (
                        MAuthAuthenticator(
                            keyProvider: FailingKeyProvider(), options: .init(clock: .fixed(IntegrationRequests.time))),
                        "/",
                        Self.headers(signed), .internalServerError, IntegrationRequests.unableBody
                    ),
                ]
            for (authenticator, path, headers, status, body) in cases {
                try await withApp { app in
                    Self.configure(app, authenticator: authenticator)
                    try await app.testing(method: .running(port: 0)).test(.GET, path, headers: headers) { response in
                        #expect(response.status == status, "\(path)")
                        #expect(response.headers.contentType == .json)
                        #expect(response.body.string == body)
                    }
                }
            }
        }

        @Test("a body over the limit answers 413, declared or streamed; one at the limit passes")
        func tooLarge() async throws {
            let signer = Fixtures.signer(versions: [.v2], time: IntegrationRequests.time)
            try await withApp { app in
                Self.configure(app)
                let tester = try app.testing(method: .running(port: 0))
                for (size, status) in [(Self.maxBodySize, HTTPStatus.ok), (Self.maxBodySize + 1, .payloadTooLarge)] {
                    let body = ByteBuffer(repeating: UInt8(ascii: "x"), count: size)
                    let fields = try signer.headers(
                        method: "POST", target: MAuthRequestTarget("/echo"), body: body.readableBytesView)
                    let headers = HTTPHeaders(fields.map { ($0.name.rawName, $0.value) })
                    try await tester.test(.POST, "/echo", headers: headers, body: body) { response in
                        #expect(response.status == status, "\(size) bytes")
                        if status == .payloadTooLarge {
                            #expect(response.body.string == IntegrationRequests.tooLargeBody(limit: Self.maxBodySize))
                        }
                    }
                }
            }
        }

        @Test("a streamed body with no declared length is cut off at the limit")
        func streamedTooLarge() async throws {
            try await withApp { app in
                Self.configure(app)
                try await app.server.start(address: .hostname("127.0.0.1", port: 0))
                let port = try #require(app.http.server.shared.localAddress?.port)
                #expect(try await StreamedUpload.post(to: "http://127.0.0.1:\(port)/echo", chunks: 3) == 413)
                await app.server.shutdown()
            }
        }

        @Test("responses are signed with the request's version: routes, refusals, thrown errors and streamed bodies")
        func responseSigning() async throws {
            let service = try MAuthSigner(
                appUUID: Fixtures.otherAppUUID, privateKey: Fixtures.otherPrivateKey, versions: [.v1, .v2],
                clock: .fixed(IntegrationRequests.time))
            let checker = Fixtures.authenticator(now: IntegrationRequests.time)
            try await withApp { app in
                app.logger.logLevel = .critical
                let routes = app.grouped(MAuthVaporResponseSigningMiddleware(signer: service))
                    .grouped(MAuthVaporMiddleware(authenticator: Fixtures.authenticator(now: IntegrationRequests.time)))
                routes.get("who") { request in try request.auth.require(MAuthIdentity.self).appUUID }
                routes.get("stream") { _ in
                    Response(
                        body: .init(asyncStream: { writer in
                            for _ in 0..<4 { try await writer.write(.buffer(ByteBuffer(string: "part "))) }
                            try await writer.write(.end)
                        }))
                }
                routes.get("conflict") { _ -> String in throw Abort(.conflict) }
                let tester = try app.testing(method: .running(port: 0))
                for (path, version, status) in [
                    ("/who", MAuthProtocolVersion.v2, HTTPStatus.ok), ("/stream", .v1, .ok),
                    ("/conflict", .v2, .conflict),
                ] {
                    let fields = try Fixtures.signer(versions: [version], time: IntegrationRequests.time).headers(
                        method: "GET", target: MAuthRequestTarget(path), body: [UInt8]())
                    try await tester.test(.GET, path, headers: HTTPHeaders(fields.map { ($0.name.rawName, $0.value) }))
                    {
                        response in
                        #expect(response.status == status, "\(path)")
                        let head = HTTPResponse(
                            status: .init(code: Int(response.status.code)),
                            headerFields: HTTPFields(
                                response.headers.map { (HTTPField.Name($0.name)!, $0.value) }.map {
                                    HTTPField(name: $0.0, value: $0.1)
                                }))
                        let responder = try await checker.authenticate(head, body: response.body.readableBytesView)
                        #expect(responder == MAuthIdentity(appUUID: Fixtures.otherAppUUID, version: version), "\(path)")
                        if path == "/stream" { #expect(response.body.string == "part part part part ") }
                    }
                }
            }
        }

        @Test("optional authentication: an unsigned request reaches the route with no identity; a bad one is 401")
        func optional() async throws {
            try await withApp { app in
                app.logger.logLevel = .warning
                let routes = app.grouped(
                    MAuthVaporMiddleware(
                        authenticator: Fixtures.authenticator(now: IntegrationRequests.time), requirement: .optional))
                routes.get("who") { request in request.auth.get(MAuthIdentity.self)?.appUUID ?? "anonymous" }
                let tester = try app.testing(method: .running(port: 0))
                try await tester.test(.GET, "/who") { response in
                    #expect(response.status == .ok)
                    #expect(response.body.string == "anonymous")
                }
                let signer = Fixtures.signer(versions: [.v2], time: IntegrationRequests.time)
                for (signedPath, status) in [("/who", HTTPStatus.ok), ("/other", .unauthorized)] {
                    let fields = try signer.headers(
                        method: "GET", target: MAuthRequestTarget(signedPath), body: [UInt8]())
                    let headers = HTTPHeaders(fields.map { ($0.name.rawName, $0.value) })
                    try await tester.test(.GET, "/who", headers: headers) { response in
                        #expect(response.status == status, "signed for \(signedPath)")
                        if status == .ok { #expect(response.body.string == Fixtures.appUUID) }
                    }
                }
            }
        }

        static let largeBody = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }

        @Test(
            "a body past the spool's memory threshold is authenticated as it streams and reaches the route, in req.body or in the spool",
            arguments: [MAuthProtocolVersion.v1, .v2], [MAuthVaporMiddleware.RouteBody.inRequest, .spooled])
        func largeBody(version: MAuthProtocolVersion, routeBody: MAuthVaporMiddleware.RouteBody) async throws {
            let body = Self.largeBody
            try await withApp { app in
                app.logger.logLevel = .warning
                let signed = app.grouped(
                    MAuthVaporMiddleware(
                        authenticator: Fixtures.authenticator(now: IntegrationRequests.time), maxBodySize: 8 << 20,
                        routeBody: routeBody))
                signed.on(.POST, "upload", body: .stream) { request async throws -> String in
                    var received = [UInt8]()
                    if let spooled = request.mauthBody {
                        for try await part in spooled.chunks() { received += part.readableBytesView }
                    }
                    for try await part in request.body { received += part.readableBytesView }
                    let place = request.mauthBody == nil ? "request" : "spool"
                    return "\(place) \(received.count) \(received == body)"
                }
                let signer = Fixtures.signer(versions: [version], time: IntegrationRequests.time)
                let fields = try signer.headers(method: "POST", target: MAuthRequestTarget("/upload"), body: body)
                let headers = HTTPHeaders(fields.map { ($0.name.rawName, $0.value) })
                let tester = try app.testing(method: .running(port: 0))
                try await tester.test(.POST, "/upload", headers: headers, body: ByteBuffer(bytes: body)) { response in
                    #expect(response.status == .ok)
                    let place = routeBody == .inRequest ? "request" : "spool"
                    #expect(response.body.string == "\(place) 3000000 true")
                }
                var tampered = body
                tampered[2_999_999] ^= 1
                try await tester.test(.POST, "/upload", headers: headers, body: ByteBuffer(bytes: tampered)) {
                    response in
                    #expect(response.status == .unauthorized)
                }
            }
        }

        @Test("exempt paths and routes outside the group pass unsigned; look-alike paths do not")
        func exemptions() async throws {
            try await withApp { app in
                Self.configure(app)
                let tester = try app.testing(method: .running(port: 0))
                for path in ["/app_status", "/open"] {
                    try await tester.test(.GET, path) { response in #expect(response.status == .ok, "\(path)") }
                }
                for path in IntegrationRequests.exemptLookalikes {
                    try await tester.test(.GET, path) { response in
                        #expect(response.status == .unauthorized, "\(path)")
                    }
                }
            }
        }

        /// Targets Vapor rewrites before middleware sees them, sent byte for byte by curl and signed
        /// over the target as sent, and the status each version's signature gets (the README's
        /// table); `000` is a connection Vapor closes without an answer, before any middleware.
        static let rewrittenTargets: [(target: String, v1: String, v2: String)] = [
            ("/files/%E2%82%AC/a%20b?q=%3B", "200", "200"),
            ("//double/slash", "401", "200"),
            ("/a%3Bb", "401", "401"),
            ("/bad%zzescape", "401", "401"),
            ("/caf\u{E9}", "401", "401"),
            ("/list[1]", "401", "401"),
            // Vapor re-encodes queries as well, but V2 canonicalizes the query and V1 does not sign it.
            ("/q?bad=%zz&list=[1]", "200", "200"),
            ("/q?name=caf\u{E9}", "000", "000"),
        ]

        @Test("targets Vapor rewrites: which signatures over the target as sent still authenticate")
        func rewrittenTargets() async throws {
            let curl = try #require(ChildProcess.find("curl"), "curl is needed for this test")
            try await withApp { app in
                Self.configure(app)
                try await app.server.start(address: .hostname("127.0.0.1", port: 0))
                let port = try #require(app.http.server.shared.localAddress?.port)
                for (target, v1Status, v2Status) in Self.rewrittenTargets {
                    for (version, status) in [(MAuthProtocolVersion.v1, v1Status), (.v2, v2Status)] {
                        let signer = Fixtures.signer(versions: [version], time: IntegrationRequests.time)
                        let fields = try signer.headers(
                            method: "GET", target: MAuthRequestTarget(target), body: [UInt8]())
                        let result = try await ChildProcess.run(
                            URL(fileURLWithPath: curl),
                            ["-s", "-g", "--path-as-is", "-o", "/dev/null", "-w", "%{http_code}"]
                                + fields.flatMap { ["-H", "\($0.name.rawName): \($0.value)"] }
                                + ["http://127.0.0.1:\(port)\(target)"])
                        #expect(result.text == status, "\(version) \(target)")
                    }
                }
                await app.server.shutdown()
            }
        }
    }
#endif
