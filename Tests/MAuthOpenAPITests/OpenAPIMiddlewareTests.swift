#if OpenAPISupport
    import GeneratedDemoAPI
    import Foundation
    import HTTPTypes
    import Hummingbird
    import HummingbirdTesting
    import MAuth
    import MAuthMiddleware
    import MAuthOpenAPI
    import MAuthTestSupport
    import NIOCore
    import OpenAPIAsyncHTTPClient
    import OpenAPIHummingbird
    import OpenAPIRuntime
    import OpenAPIURLSession
    import Testing

    /// The OpenAPI middlewares with the client and server generated from Examples/DemoAPI/openapi.yaml,
    /// over real transports, against `mauth serve`, the Python reference middleware and each other.
    @Suite("OpenAPI middlewares", .serialized)
    struct OpenAPIMiddlewareTests {
        static let transports: [(name: String, transport: any ClientTransport)] = [
            ("AsyncHTTPClient", AsyncHTTPClientTransport()), ("URLSession", URLSessionTransport()),
        ]

        static func client(_ baseURL: String, transport: any ClientTransport, signer: MAuthSigner) throws -> Client {
            Client(
                serverURL: try #require(URL(string: baseURL)), transport: transport,
                middlewares: [MAuthOpenAPIClientMiddleware(signer: signer)])
        }

        /// Runs `body` with a directory holding the public keys of the suite's app and `otherApp`,
        /// and removes the directory afterwards.
        static func withKeysDirectory<Result>(_ body: (URL) async throws -> Result) async throws -> Result {
            try await withTemporaryDirectory("openapi-keys") { directory in
                try Fixtures.publicKeyPEM.write(
                    to: directory.appendingPathComponent("\(Fixtures.appUUID).pub"), atomically: true, encoding: .utf8)
                try Fixtures.otherPrivateKey.publicKey.pem.write(
                    to: directory.appendingPathComponent("\(otherApp).pub"), atomically: true, encoding: .utf8)
                return try await body(directory)
            }
        }

        static let otherApp = "5ff4257e-9c16-11e0-b048-0026bbfffe5e"

        @Test("the client middleware signs what mauth serve accepts, through AsyncHTTPClient and URLSession")
        func clientAgainstServe() async throws {
            try await Self.withKeysDirectory { keys in
                let serve = try await RunningMAuth(serve: ["--keys-dir", keys.path])
                for (name, transport) in Self.transports {
                    for versions in [[MAuthProtocolVersion.v1], [.v2], [.v1, .v2]] {
                        let signer = try MAuthSigner(
                            appUUID: Fixtures.appUUID, privateKey: Fixtures.privateKey, versions: versions)
                        let client = try Self.client(serve.baseURL, transport: transport, signer: signer)
                        let caller = try await client.getCaller().ok.body.json
                        #expect(caller.app_uuid == Fixtures.appUUID, "\(name) \(versions)")
                        #expect(caller.protocol_version == versions.max()!.number)
                        let echoed = try await client.echo(body: .binary(HTTPBody("ü payload"))).ok.body.binary
                        #expect(try await String(collecting: echoed, upTo: 1024) == "ü payload")
                        // Past the spool's 1 MiB: signed from its digest, sent from the spool.
                        let large = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
                        let echoedLarge = try await client.echo(body: .binary(HTTPBody(large))).ok.body.binary
                        #expect(try await [UInt8](collecting: echoedLarge, upTo: 4_000_000) == large, "\(name)")
                        // Under a server URL with a path, the demo has no such route: authenticated, then 404.
                        let prefixed = try Self.client(serve.baseURL + "/api", transport: transport, signer: signer)
                        guard case .undocumented(statusCode: 404, _) = try await prefixed.getCaller() else {
                            Issue.record("\(name) \(versions): a signed request under /api was not authenticated")
                            continue
                        }
                    }
                }
                #expect(await serve.stop() == 0)
            }
        }

        @Test(
            "the client middleware signs what the Python reference middleware accepts",
            .enabled(if: PythonReference.interpreter != nil, Comment(rawValue: PythonReference.absentMessage)))
        func clientAgainstPython() async throws {
            try await Self.withKeysDirectory { keys in
                let service = try await RunningMAuth(service: ["--keys-dir", keys.path])
                let python = try await PythonReference.startMiddlewareServer(kind: "asgi", serviceURL: service.baseURL)
                for (name, transport) in Self.transports {
                    for versions in [[MAuthProtocolVersion.v1], [.v2], [.v1, .v2]] {
                        let signer = try MAuthSigner(
                            appUUID: Self.otherApp, privateKey: Fixtures.otherPrivateKey, versions: versions)
                        let client = try Self.client(python.baseURL, transport: transport, signer: signer)
                        let caller = try await client.getCaller().ok.body.json
                        #expect(caller.app_uuid == Self.otherApp, "\(name) \(versions)")
                        #expect(caller.protocol_version == versions.max()!.number)
                        let echoed = try await client.echo(body: .binary(HTTPBody("ü payload"))).ok.body.binary
                        #expect(try await String(collecting: echoed, upTo: 1024) == "ü payload")
                        // Past the spool's 1 MiB: signed from its digest, sent from the spool.
                        let large = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
                        let echoedLarge = try await client.echo(body: .binary(HTTPBody(large))).ok.body.binary
                        #expect(try await [UInt8](collecting: echoedLarge, upTo: 4_000_000) == large, "\(name)")
                    }
                }
                _ = await python.stop()
                #expect(await service.stop() == 0)
            }
        }

        /// The operations, answering with the caller the middleware set.
        struct Service: APIProtocol {
            func getCaller(_ input: Operations.getCaller.Input) async throws -> Operations.getCaller.Output {
                guard let caller = MAuthIdentity.current else {
                    return .unauthorized(
                        .init(body: .json(.init(errors: .init(mauth: ["the handler wants a caller"])))))
                }
                return .ok(.init(body: .json(.init(app_uuid: caller.appUUID, protocol_version: caller.version.number))))
            }

            func echo(_ input: Operations.echo.Input) async throws -> Operations.echo.Output {
                guard case .binary(let body) = input.body else { throw HTTPError(.badRequest) }
                return .ok(.init(body: .binary(body)))
            }

            func getStatus(_ input: Operations.getStatus.Input) async throws -> Operations.getStatus.Output {
                #expect(MAuthIdentity.current == nil)
                return .ok(.init(body: .plainText("up")))
            }
        }

        static func application(_ middleware: MAuthOpenAPIServerMiddleware) throws -> some ApplicationProtocol {
            let router = Router()
            try Service().registerHandlers(on: router, middlewares: [middleware])
            return Application(router: router)
        }

        @Test(
            "the server middleware, behind the Hummingbird transport, authenticates what Python signs",
            .enabled(if: PythonReference.interpreter != nil, Comment(rawValue: PythonReference.absentMessage)))
        func serverWithPython() async throws {
            let middleware = MAuthOpenAPIServerMiddleware(
                authenticator: Fixtures.authenticator(now: IntegrationRequests.time), exemptOperationIDs: ["getStatus"],
                maxBodySize: 1024)
            let cases = [
                IntegrationRequests.Case("GET", "/"),
                IntegrationRequests.Case("POST", "/echo", body: Array("ü payload".utf8)),
            ]
            for versions in ["v1", "v2", "v1,v2"] {
                let requests = try await IntegrationRequests.pythonSigned(versions: versions, cases: cases)
                try await Self.application(middleware).test(.live) { client in
                    for signed in requests {
                        var headers = signed.fields
                        headers[.contentType] = signed.request.method == "POST" ? "application/octet-stream" : nil
                        try await client.execute(
                            uri: signed.request.target, method: HTTPRequest.Method(signed.request.method)!,
                            headers: headers,
                            body: ByteBuffer(bytes: signed.request.body)
                        ) { response in
                            #expect(response.status == .ok, "\(signed): \(String(buffer: response.body))")
                            let expected =
                                signed.request.method == "POST"
                                ? "ü payload"
                                : #"{"app_uuid":"\#(Fixtures.appUUID)","protocol_version":\#(signed.version)}"#
                            #expect(
                                String(buffer: response.body).filter { !$0.isWhitespace }
                                    == expected.filter { !$0.isWhitespace })
                        }
                    }
                }
            }
        }

        @Test("the server middleware answers failures as the other middlewares do; exemption by operation ID or path")
        func serverFailures() async throws {
            let byOperation = MAuthOpenAPIServerMiddleware(
                authenticator: Fixtures.authenticator(now: IntegrationRequests.time), exemptOperationIDs: ["getStatus"],
                maxBodySize: 16)
            let byPath = MAuthOpenAPIServerMiddleware(
                authenticator: Fixtures.authenticator(now: IntegrationRequests.time), exemptPaths: ["/app_status"])
            for middleware in [byOperation, byPath] {
                try await Self.application(middleware).test(.live) { client in
                    try await client.execute(uri: "/app_status", method: .get) { response in
                        #expect(response.status == .ok)
                    }
                    try await client.execute(uri: "/", method: .get) { response in
                        #expect(response.status == .unauthorized)
                        #expect(response.headers[.contentType] == "application/json")
                        #expect(String(buffer: response.body) == IntegrationRequests.unsignedBody)
                    }
                }
            }
            let signer = Fixtures.signer(versions: [.v2], time: IntegrationRequests.time)
            let body = ByteBuffer(repeating: UInt8(ascii: "x"), count: 17)
            var signedHeaders = HTTPFields(
                try signer.headers(method: "POST", target: MAuthRequestTarget("/echo"), body: body.readableBytesView))
            signedHeaders[.contentType] = "application/octet-stream"
            let headers = signedHeaders
            try await Self.application(byOperation).test(.live) { client in
                try await client.execute(uri: "/echo", method: .post, headers: headers, body: body) { response in
                    #expect(response.status == .contentTooLarge)
                    #expect(String(buffer: response.body) == IntegrationRequests.tooLargeBody(limit: 16))
                }
                try await client.execute(
                    uri: "/echo", method: .post, headers: headers, body: ByteBuffer(string: "short")
                ) { response in
                    #expect(response.status == .unauthorized)
                    #expect(String(buffer: response.body) == IntegrationRequests.mismatchBody)
                }
            }
        }

        @Test("optional authentication: unsigned requests reach the handler with no caller; bad signatures are 401")
        func serverOptional() async throws {
            let middleware = MAuthOpenAPIServerMiddleware(
                authenticator: Fixtures.authenticator(now: IntegrationRequests.time), requirement: .optional)
            let signed = try HTTPFields(
                Fixtures.signer(versions: [.v2], time: IntegrationRequests.time).headers(
                    method: "GET", target: MAuthRequestTarget("/"), body: [UInt8]()))
            try await Self.application(middleware).test(.live) { client in
                try await client.execute(uri: "/", method: .get) { response in
                    #expect(response.status == .unauthorized)
                    #expect(String(buffer: response.body).contains("the handler wants a caller"), "the handler decided")
                }
                try await client.execute(
                    uri: "/echo", method: .post, headers: [.contentType: "application/octet-stream"],
                    body: ByteBuffer(string: "open")
                ) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body) == "open")
                }
                try await client.execute(uri: "/", method: .get, headers: signed) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body).contains(Fixtures.appUUID))
                }
                try await client.execute(uri: "/app_status", method: .get, headers: signed) { response in
                    #expect(response.status == .unauthorized)
                    #expect(String(buffer: response.body) == IntegrationRequests.mismatchBody)
                }
            }
        }

        /// The operations, each requiring a caller.
        struct RequiringService: APIProtocol {
            func getCaller(_ input: Operations.getCaller.Input) async throws -> Operations.getCaller.Output {
                let caller = try MAuthIdentity.requireCurrent()
                return .ok(.init(body: .json(.init(app_uuid: caller.appUUID, protocol_version: caller.version.number))))
            }

            func echo(_ input: Operations.echo.Input) async throws -> Operations.echo.Output {
                _ = try MAuthIdentity.requireCurrent()
                guard case .binary(let body) = input.body else { throw HTTPError(.badRequest) }
                return .ok(.init(body: .binary(body)))
            }

            func getStatus(_ input: Operations.getStatus.Input) async throws -> Operations.getStatus.Output {
                _ = try MAuthIdentity.requireCurrent()
                return .ok(.init(body: .plainText("up")))
            }
        }

        @Test("requireCurrent() gives a handler the caller, and answers 401 with MAuth's JSON where there is none")
        func serverRequireCurrent() async throws {
            let middleware = MAuthOpenAPIServerMiddleware(
                authenticator: Fixtures.authenticator(now: IntegrationRequests.time), exemptOperationIDs: ["getStatus"],
                requirement: .optional)
            let router = Router()
            try RequiringService().registerHandlers(on: router, middlewares: [middleware])
            let signed = try HTTPFields(
                Fixtures.signer(versions: [.v2], time: IntegrationRequests.time).headers(
                    method: "GET", target: MAuthRequestTarget("/"), body: [UInt8]()))
            let required = #"{"errors":{"mauth":["This resource needs a request signed with MAuth"]}}"#
            try await Application(router: router).test(.router) { client in
                try await client.execute(uri: "/", method: .get, headers: signed) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body).contains(Fixtures.appUUID))
                }
                for uri in ["/", "/app_status"] {
                    try await client.execute(uri: uri, method: .get) { response in
                        #expect(response.status == .unauthorized, "\(uri)")
                        #expect(response.headers[.contentType] == "application/json")
                        #expect(String(buffer: response.body) == required)
                    }
                }
            }
        }

        @Test("the response signer signs answers and refusals with the request's version")
        func serverResponseSigning() async throws {
            let service = try MAuthSigner(
                appUUID: Fixtures.otherAppUUID, privateKey: Fixtures.otherPrivateKey, versions: [.v1, .v2],
                clock: .fixed(IntegrationRequests.time))
            let router = Router()
            try Service().registerHandlers(
                on: router,
                middlewares: [
                    MAuthOpenAPIResponseSigningMiddleware(signer: service),
                    MAuthOpenAPIServerMiddleware(authenticator: Fixtures.authenticator(now: IntegrationRequests.time)),
                ])
            let checker = Fixtures.authenticator(now: IntegrationRequests.time)
            let body = ByteBuffer(repeating: UInt8(ascii: "y"), count: 2_000_000)
            var fields = HTTPFields(
                try Fixtures.signer(versions: [.v1], time: IntegrationRequests.time).headers(
                    method: "POST", target: MAuthRequestTarget("/echo"), body: body.readableBytesView))
            fields[.contentType] = "application/octet-stream"
            let headers = fields
            try await Application(router: router).test(.live) { client in
                try await client.execute(uri: "/echo", method: .post, headers: headers, body: body) { response in
                    #expect(response.status == .ok)
                    #expect(response.body.readableBytes == 2_000_000)
                    let responder = try await checker.authenticate(
                        HTTPResponse(status: response.status, headerFields: response.headers),
                        body: response.body.readableBytesView)
                    #expect(responder == MAuthIdentity(appUUID: Fixtures.otherAppUUID, version: .v1))
                }
                try await client.execute(uri: "/", method: .get) { response in
                    #expect(response.status == .unauthorized)
                    let responder = try await checker.authenticate(
                        HTTPResponse(status: response.status, headerFields: response.headers),
                        body: response.body.readableBytesView)
                    #expect(responder.version == .v2)
                }
            }
        }

        @Test("an expired signature answers 401 and a failing key store 500, as the other middlewares answer")
        func serverExpiredAndUnable() async throws {
            let now = IntegrationRequests.time + 301
            let cases: [(MAuthAuthenticator, HTTPResponse.Status, String)] = [
                (Fixtures.authenticator(now: now), .unauthorized, IntegrationRequests.expiredBody(now: now)),
                (
                    MAuthAuthenticator(
                        keyProvider: FailingKeyProvider(), options: .init(clock: .fixed(IntegrationRequests.time))),
                    .internalServerError, IntegrationRequests.unableBody
                ),
            ]
            let headers = HTTPFields(
                try Fixtures.signer(versions: [.v2], time: IntegrationRequests.time).headers(
                    method: "GET", target: MAuthRequestTarget("/"), body: [UInt8]()))
            for (authenticator, status, body) in cases {
                try await Self.application(MAuthOpenAPIServerMiddleware(authenticator: authenticator)).test(.router) {
                    client in
                    try await client.execute(uri: "/", method: .get, headers: headers) { response in
                        #expect(response.status == status)
                        #expect(String(buffer: response.body) == body)
                    }
                }
            }
        }

        @Test("a streamed body with no declared length is cut off at the limit; a '#' neither hides nor exempts")
        func streamedAndFragments() async throws {
            let middleware = MAuthOpenAPIServerMiddleware(
                authenticator: Fixtures.authenticator(now: IntegrationRequests.time), exemptPaths: ["/app_status"],
                maxBodySize: 1024)
            let chunks = AsyncStream<ArraySlice<UInt8>> { continuation in
                for _ in 0..<3 { continuation.yield(ArraySlice(repeating: UInt8(ascii: "x"), count: 512)) }
                continuation.finish()
            }
            let unreached:
                @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (
                    HTTPResponse, HTTPBody?
                ) = { _, _, _ in
                    Issue.record("the handler was reached")
                    return (HTTPResponse(status: .ok), nil)
                }
            let (tooLarge, _) = try await middleware.intercept(
                HTTPRequest(method: .post, scheme: "http", authority: "test", path: "/echo"),
                body: HTTPBody(chunks, length: .unknown, iterationBehavior: .single),
                metadata: ServerRequestMetadata(), operationID: "echo", next: unreached)
            #expect(tooLarge.status == .contentTooLarge)

            let (exemptLookalike, _) = try await middleware.intercept(
                HTTPRequest(method: .get, scheme: "http", authority: "test", path: "/app_status#x"), body: nil,
                metadata: ServerRequestMetadata(), operationID: "getStatus", next: unreached)
            #expect(exemptLookalike.status == .unauthorized)

            let signed = HTTPFields(
                try Fixtures.signer(versions: [.v2]).headers(
                    method: "GET", target: MAuthRequestTarget("/"), body: [UInt8]()))
            let (fragment, _) = try await middleware.intercept(
                HTTPRequest(method: .get, scheme: "http", authority: "test", path: "/#x", headerFields: signed),
                body: nil,
                metadata: ServerRequestMetadata(), operationID: "getCaller", next: unreached)
            #expect(fragment.status == .unauthorized)
        }

        @Test("the generated client and server, each with its middleware, talk through AsyncHTTPClient and URLSession")
        func roundTrip() async throws {
            let middleware = MAuthOpenAPIServerMiddleware(
                authenticator: MAuthAuthenticator(
                    keyProvider: InMemoryPublicKeyProvider([Fixtures.appUUID: Fixtures.publicKey])),
                exemptOperationIDs: ["getStatus"])
            try await Self.application(middleware).test(.live) { testClient in
                let port = try #require(testClient.port)
                for (name, transport) in Self.transports {
                    let signer = try MAuthSigner(
                        appUUID: Fixtures.appUUID, privateKey: Fixtures.privateKey, versions: [.v2])
                    let client = try Self.client("http://127.0.0.1:\(port)", transport: transport, signer: signer)
                    #expect(try await client.getCaller().ok.body.json.app_uuid == Fixtures.appUUID, "\(name)")
                    #expect(try await String(collecting: client.getStatus().ok.body.plainText, upTo: 64) == "up")
                }
            }
        }
    }
#endif
