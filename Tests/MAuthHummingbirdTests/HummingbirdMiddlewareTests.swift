#if HummingbirdSupport
    import HTTPTypes
    import Hummingbird
    import HummingbirdAuth
    import HummingbirdTesting
    import MAuth
    import MAuthHummingbird
    import MAuthMiddleware
    import MAuthTestSupport
    import NIOCore
    import Testing

    /// `MAuthHummingbirdMiddleware` in a Hummingbird 2 application, called through HummingbirdTesting.
    @Suite("Hummingbird middleware")
    struct HummingbirdMiddlewareTests {
        static let maxBodySize = 1024

        /// Every route answers the raw body it read, with the caller in `X-Caller`.
        static func application(
            authenticator: MAuthAuthenticator = Fixtures.authenticator(now: IntegrationRequests.time)
        ) -> some ApplicationProtocol {
            let router = Router(context: BasicMAuthRequestContext.self)
            router.get("/open") { _, _ in "added before the middleware" }
            router.add(
                middleware: MAuthHummingbirdMiddleware(
                    authenticator: authenticator, exemptPaths: ["/app_status"], maxBodySize: maxBodySize))
            router.get("/app_status") { _, _ in "exempt" }
            let echo: @Sendable (Request, BasicMAuthRequestContext) async throws -> Response = { request, context in
                let caller = context.mauthIdentity.map { "\($0.appUUID) v\($0.version.number)" } ?? "anonymous"
                return Response(
                    status: .ok, headers: [HTTPField.Name("X-Caller")!: caller],
                    body: ResponseBody(byteBuffer: try await request.body.collect(upTo: .max)))
            }
            for method in [HTTPRequest.Method.get, .post, .put, .delete] {
                router.on("/", method: method, use: echo)
                router.on("**", method: method, use: echo)
            }
            return Application(router: router)
        }

        @Test(
            "requests the Python reference signs reach the route with their identity and body",
            .enabled(if: PythonReference.interpreter != nil, Comment(rawValue: PythonReference.absentMessage)),
            arguments: ["v1", "v2", "v1,v2"])
        func pythonSigned(versions: String) async throws {
            let requests = try await IntegrationRequests.pythonSigned(versions: versions)
            for setup in [TestingSetup.router, .live] {
                try await Self.application().test(setup) { client in
                    for signed in requests {
                        try await client.execute(
                            uri: signed.request.target, method: HTTPRequest.Method(signed.request.method)!,
                            headers: signed.fields, body: ByteBuffer(bytes: signed.request.body)
                        ) { response in
                            #expect(response.status == .ok, "\(signed): \(String(buffer: response.body))")
                            #expect(
                                response.headers[HTTPField.Name("X-Caller")!]
                                    == IntegrationRequests.caller(version: signed.version))
                            #expect(Array(buffer: response.body) == signed.request.body, "\(signed)")
                        }
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
                    application: any ApplicationProtocol, uri: String, headers: HTTPFields, status: HTTPResponse.Status,
                    body: String
                )] = [
                    (Self.application(), "/", [:], .unauthorized, IntegrationRequests.unsignedBody),
                    (
                        Self.application(), "/other", signed.fields, .unauthorized,
                        IntegrationRequests.mismatchBody
                    ),
                    (
                        Self.application(authenticator: Fixtures.authenticator(now: now)), "/", signed.fields,
                        .unauthorized, IntegrationRequests.expiredBody(now: now)
                    ),
                    (
                        Self.application(
                            authenticator: MAuthAuthenticator(
                                keyProvider: FailingKeyProvider(),
                                options: .init(clock: .fixed(IntegrationRequests.time)))),
                        "/", signed.fields, .internalServerError, IntegrationRequests.unableBody
                    ),
                ]
            for (application, uri, headers, status, body) in cases {
                try await application.test(.router) { client in
                    try await client.execute(uri: uri, method: .get, headers: headers) { response in
                        #expect(response.status == status, "\(uri)")
                        #expect(response.headers[.contentType] == "application/json")
                        #expect(String(buffer: response.body) == body)
                    }
                }
            }
        }

        @Test("a body over the limit answers 413, declared or streamed")
        func tooLarge() async throws {
            let body = ByteBuffer(repeating: UInt8(ascii: "x"), count: Self.maxBodySize + 1)
            let signer = Fixtures.signer(versions: [.v2], time: IntegrationRequests.time)
            let headers = HTTPFields(
                try signer.headers(method: "POST", target: MAuthRequestTarget("/echo"), body: body.readableBytesView))
            for setup in [TestingSetup.router, .live] {
                try await Self.application().test(setup) { client in
                    try await client.execute(uri: "/echo", method: .post, headers: headers, body: body) { response in
                        #expect(response.status == .contentTooLarge)
                        #expect(
                            String(buffer: response.body) == IntegrationRequests.tooLargeBody(limit: Self.maxBodySize))
                    }
                }
            }
        }

        @Test("a streamed body with no declared length is cut off at the limit")
        func streamedTooLarge() async throws {
            try await Self.application().test(.live) { client in
                let port = try #require(client.port)
                #expect(try await StreamedUpload.post(to: "http://127.0.0.1:\(port)/echo", chunks: 3) == 413)
            }
        }

        @Test("exempt paths and routes added before the middleware pass unsigned; look-alike paths do not")
        func exemptions() async throws {
            try await Self.application().test(.live) { client in
                for uri in ["/app_status", "/open"] {
                    try await client.execute(uri: uri, method: .get) { response in
                        #expect(response.status == .ok, "\(uri)")
                    }
                }
                for uri in IntegrationRequests.exemptLookalikes {
                    try await client.execute(uri: uri, method: .get) { response in
                        #expect(response.status == .unauthorized, "\(uri)")
                    }
                }
            }
        }

        /// A context that holds hummingbird-auth's identity beside the MAuth one.
        struct AppContext: AuthRequestContext, MAuthRequestContext {
            struct User: Sendable { let name: String }
            var coreContext: CoreRequestContextStorage
            var identity: User?
            var mauthIdentity: MAuthIdentity?

            init(source: ApplicationRequestContextSource) {
                coreContext = .init(source: source)
            }
        }

        /// Logs in the user named by `X-User`, as an application's own authenticator would.
        struct UserAuthenticator: AuthenticatorMiddleware {
            typealias Context = AppContext

            func authenticate(request: Request, context: AppContext) async throws -> AppContext.User? {
                request.headers[HTTPField.Name("X-User")!].map(AppContext.User.init)
            }
        }

        @Test(
            "the identity sits beside hummingbird-auth's in one context",
            .enabled(if: PythonReference.interpreter != nil, Comment(rawValue: PythonReference.absentMessage)))
        func besideHummingbirdAuth() async throws {
            let signed = try #require(try await IntegrationRequests.pythonSigned(versions: "v2").first)
            let router = Router(context: AppContext.self)
            router.add(middleware: UserAuthenticator())
            router.add(
                middleware: MAuthHummingbirdMiddleware(
                    authenticator: Fixtures.authenticator(now: IntegrationRequests.time)))
            router.get("/") { _, context in
                "\(try context.requireIdentity().name) \(context.mauthIdentity?.appUUID ?? "none")"
            }
            var signedHeaders = signed.fields
            signedHeaders[HTTPField.Name("X-User")!] = "bob"
            let headers = signedHeaders
            try await Application(router: router).test(.router) { client in
                try await client.execute(uri: "/", method: .get, headers: headers) { response in
                    #expect(String(buffer: response.body) == "bob \(Fixtures.appUUID)")
                }
            }
        }

        @Test("responses are signed with the request's version: routes, refusals, thrown errors and streamed bodies")
        func responseSigning() async throws {
            let service = try MAuthSigner(
                appUUID: Fixtures.otherAppUUID, privateKey: Fixtures.otherPrivateKey, versions: [.v1, .v2],
                clock: .fixed(IntegrationRequests.time))
            let router = Router(context: BasicMAuthRequestContext.self)
            router.add(middleware: MAuthHummingbirdResponseSigningMiddleware(signer: service))
            router.add(
                middleware: MAuthHummingbirdMiddleware(
                    authenticator: Fixtures.authenticator(now: IntegrationRequests.time)))
            router.get("/who") { _, context in context.mauthIdentity?.appUUID ?? "" }
            router.get("/big") { _, _ in
                Response(
                    status: .ok,
                    body: ResponseBody(
                        contentsOf: stride(from: 0, to: 3_000_000, by: 65_536).map {
                            ByteBuffer(
                                repeating: UInt8(truncatingIfNeeded: $0 >> 16), count: min(65_536, 3_000_000 - $0))
                        }))
            }
            router.get("/conflict") { _, _ -> String in throw HTTPError(.conflict) }
            let checker = Fixtures.authenticator(now: IntegrationRequests.time)
            try await Application(router: router).test(.live) { client in
                for (path, version, status) in [
                    ("/who", MAuthProtocolVersion.v2, HTTPResponse.Status.ok), ("/big", .v1, .ok),
                    ("/conflict", .v2, .conflict),
                ] {
                    let fields = try Fixtures.signer(versions: [version], time: IntegrationRequests.time).headers(
                        method: "GET", target: MAuthRequestTarget(path), body: [UInt8]())
                    try await client.execute(uri: path, method: .get, headers: fields) { response in
                        #expect(response.status == status, "\(path)")
                        let responder = try await checker.authenticate(
                            HTTPResponse(status: response.status, headerFields: response.headers),
                            body: response.body.readableBytesView)
                        #expect(responder == MAuthIdentity(appUUID: Fixtures.otherAppUUID, version: version), "\(path)")
                    }
                }
                try await client.execute(uri: "/who", method: .get) { response in
                    #expect(response.status == .unauthorized)
                    let responder = try await checker.authenticate(
                        HTTPResponse(status: response.status, headerFields: response.headers),
                        body: response.body.readableBytesView)
                    #expect(
                        responder.version == .v2, "an unsigned request's refusal is signed with the signer's versions")
                }
            }
        }

        @Test("optional authentication: an unsigned request reaches the route with no identity; a bad one is 401")
        func optional() async throws {
            let router = Router(context: BasicMAuthRequestContext.self)
            router.add(
                middleware: MAuthHummingbirdMiddleware(
                    authenticator: Fixtures.authenticator(now: IntegrationRequests.time), requirement: .optional))
            router.get("/who") { _, context in context.mauthIdentity?.appUUID ?? "anonymous" }
            let fields = try Fixtures.signer(versions: [.v2], time: IntegrationRequests.time).headers(
                method: "GET", target: MAuthRequestTarget("/who"), body: [UInt8]())
            try await Application(router: router).test(.router) { client in
                try await client.execute(uri: "/who", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body) == "anonymous")
                }
                try await client.execute(uri: "/who", method: .get, headers: fields) { response in
                    #expect(String(buffer: response.body) == Fixtures.appUUID)
                }
                try await client.execute(uri: "/other", method: .get, headers: fields) { response in
                    #expect(response.status == .unauthorized)
                }
            }
        }

        @Test("requireMAuthIdentity() gives a route the caller, and answers 401 with MAuth's JSON where there is none")
        func requireIdentity() async throws {
            let router = Router(context: BasicMAuthRequestContext.self)
            router.add(
                middleware: MAuthHummingbirdMiddleware(
                    authenticator: Fixtures.authenticator(now: IntegrationRequests.time), requirement: .optional))
            router.get("/who") { _, context in try context.requireMAuthIdentity().appUUID }
            let fields = try Fixtures.signer(versions: [.v2], time: IntegrationRequests.time).headers(
                method: "GET", target: MAuthRequestTarget("/who"), body: [UInt8]())
            try await Application(router: router).test(.router) { client in
                try await client.execute(uri: "/who", method: .get, headers: fields) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body) == Fixtures.appUUID)
                }
                try await client.execute(uri: "/who", method: .get) { response in
                    #expect(response.status == .unauthorized)
                    #expect(response.headers[.contentType] == "application/json")
                    #expect(
                        String(buffer: response.body)
                            == #"{"errors":{"mauth":["This resource needs a request signed with MAuth"]}}"#)
                }
            }
        }

        @Test(
            "a body past the spool's memory threshold is authenticated as it streams and reaches the route whole",
            arguments: [MAuthProtocolVersion.v1, .v2])
        func largeBody(version: MAuthProtocolVersion) async throws {
            let body = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            let router = Router(context: BasicMAuthRequestContext.self)
            router.add(
                middleware: MAuthHummingbirdMiddleware(
                    authenticator: Fixtures.authenticator(now: IntegrationRequests.time), maxBodySize: 8 << 20))
            router.post("/upload") { request, context in
                let received = try await request.body.collect(upTo: .max)
                return
                    "v\(context.mauthIdentity?.version.number ?? 0) \(received.readableBytes) \(Array(buffer: received) == body)"
            }
            let fields = try Fixtures.signer(versions: [version], time: IntegrationRequests.time).headers(
                method: "POST", target: MAuthRequestTarget("/upload"), body: body)
            let tampered = fields
            try await Application(router: router).test(.live) { client in
                try await client.execute(
                    uri: "/upload", method: .post, headers: fields, body: ByteBuffer(bytes: body)
                ) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body) == "v\(version.number) 3000000 true")
                }
                var other = body
                other[2_999_999] ^= 1
                try await client.execute(
                    uri: "/upload", method: .post, headers: tampered, body: ByteBuffer(bytes: other)
                ) { response in
                    #expect(response.status == .unauthorized)
                }
            }
        }
    }
#endif
