import HTTPPipeline
import HTTPTypes
import Logging
import MAuth
import MAuthMiddleware
import MAuthTestSupport
import NIOCore
import Testing

@Suite("MAuth middleware (no sockets)")
struct MAuthMiddlewareTests {
    /// Answers with the caller's identity and the body it received.
    static let echo = HandlerFunction { request, context in
        let body = String(buffer: try await request.body.collect(upTo: 1 << 20))
        let caller = context.mauthIdentity.map { "\($0.appUUID) v\($0.version.number)" } ?? "anonymous"
        return .text("\(caller) \(body)")
    }

    static func pipeline(
        authenticator: MAuthAuthenticator = Fixtures.authenticator(),
        exempt: ExemptPaths = ["/app_status"],
        maxBodySize: Int = 1024
    ) -> Pipeline {
        Pipeline(
            MAuthMiddleware(authenticator: authenticator, exemptPaths: exempt, maxBodySize: maxBodySize),
            handler: echo
        )
    }

    static func request(
        _ method: HTTPRequest.Method = .post,
        _ target: String,
        body: String = "",
        signWith versions: [MAuthProtocolVersion]? = nil,
        signedTarget: String? = nil,
        signedBody: String? = nil
    ) -> Request {
        var head = HTTPRequest(method: method, scheme: "http", authority: "test", path: target)
        if let versions {
            let fields = try! Fixtures.signer(versions: versions).headers(
                method: method.rawValue,
                target: MAuthRequestTarget(signedTarget ?? target),
                body: Array((signedBody ?? body).utf8)
            )
            head.headerFields.append(contentsOf: fields)
        }
        return Request(head: head, body: RequestBody(buffer: ByteBuffer(string: body)))
    }

    static func respond(_ request: Request, pipeline: Pipeline = pipeline()) async throws -> (
        HTTPResponse.Status, String, HTTPFields
    ) {
        let response = await pipeline.respond(to: request, context: RequestContext())
        return (
            response.head.status, String(buffer: try await response.body.collect(upTo: 1 << 20)),
            response.head.headerFields
        )
    }

    @Test(
        "a signed request reaches the handler with its identity and its body",
        arguments: [[MAuthProtocolVersion.v1], [.v2], [.v1, .v2]])
    func authentic(versions: [MAuthProtocolVersion]) async throws {
        let (status, body, _) = try await Self.respond(
            Self.request(.post, "/echo?x=1", body: "payload", signWith: versions))
        #expect(status == .ok)
        #expect(body == "\(Fixtures.appUUID) v\(versions.max()!.number) payload")
    }

    @Test("optional authentication: an unsigned request passes with no identity; a bad signature is still 401")
    func optional() async throws {
        let pipeline = Pipeline(
            MAuthMiddleware(authenticator: Fixtures.authenticator(), maxBodySize: 1024, requirement: .optional),
            handler: Self.echo)
        let unsigned = try await Self.respond(Self.request(.post, "/echo", body: "hello"), pipeline: pipeline)
        #expect(unsigned.0 == .ok)
        #expect(unsigned.1 == "anonymous hello")
        let signed = try await Self.respond(
            Self.request(.post, "/echo", body: "hello", signWith: [.v2]), pipeline: pipeline)
        #expect(signed.1 == "\(Fixtures.appUUID) v2 hello")
        let tampered = try await Self.respond(
            Self.request(.post, "/echo", body: "hello", signWith: [.v2], signedBody: "other"), pipeline: pipeline)
        #expect(tampered.0 == .unauthorized)
        var timeOnly = Self.request(.get, "/echo")
        timeOnly.head.headerFields[MAuthProtocolVersion.v2.timeHeader] = "\(Fixtures.time)"
        let partial = try await Self.respond(timeOnly, pipeline: pipeline)
        #expect(partial.0 == .unauthorized, "any MAuth header means the request is authenticated")
        #expect(try await Self.respond(Self.request(.get, "/echo")).0 == .unauthorized, "required by default")
    }

    @Test("requireMAuthIdentity() gives a route the caller, and answers 401 with the JSON body where there is none")
    func requireIdentity() async throws {
        let pipeline = Pipeline(
            MAuthMiddleware(
                authenticator: Fixtures.authenticator(), exemptPaths: ["/app_status"], requirement: .optional),
            handler: HandlerFunction { _, context in .text(try context.requireMAuthIdentity().appUUID) })
        let signed = try await Self.respond(Self.request(.get, "/", signWith: [.v2]), pipeline: pipeline)
        #expect(signed.0 == .ok)
        #expect(signed.1 == Fixtures.appUUID)
        for unsigned in [Self.request(.get, "/"), Self.request(.get, "/app_status", signWith: [.v2])] {
            let (status, body, fields) = try await Self.respond(unsigned, pipeline: pipeline)
            #expect(status == .unauthorized)
            #expect(body == #"{"errors":{"mauth":["This resource needs a request signed with MAuth"]}}"#)
            #expect(fields[.contentType] == "application/json")
        }
    }

    @Test("the raw path and query are authenticated: encoded paths and + in queries work")
    func rawTarget() async throws {
        let (status, _, _) = try await Self.respond(Self.request(.get, "/files/%E2%82%AC?q=a+b", signWith: [.v1, .v2]))
        #expect(status == .ok)
    }

    @Test("unsigned and tampered requests answer 401 with the JSON error body")
    func inauthentic() async throws {
        let unsigned = try await Self.respond(Self.request(.get, "/"))
        #expect(unsigned.0 == .unauthorized)
        #expect(unsigned.2[.contentType] == "application/json")
        #expect(
            unsigned.1
                == #"{"errors":{"mauth":["Authentication Failed. No mAuth signature present; X-MWS-Authentication header is blank, MCC-Authentication header is blank."]}}"#
        )
        let tamperedBody = try await Self.respond(
            Self.request(.post, "/echo", body: "changed", signWith: [.v2], signedBody: "original"))
        #expect(tamperedBody.0 == .unauthorized)
        #expect(tamperedBody.1 == #"{"errors":{"mauth":["Signature verification failed for request."]}}"#)
        let tamperedPath = try await Self.respond(
            Self.request(.get, "/admin", signWith: [.v2], signedTarget: "/public"))
        #expect(tamperedPath.0 == .unauthorized)
        let tamperedQuery = try await Self.respond(
            Self.request(.get, "/a?id=2", signWith: [.v2], signedTarget: "/a?id=1"))
        #expect(tamperedQuery.0 == .unauthorized)
        // V1 does not sign the query, so only V2 can notice a '#' that hides part of it.
        let fragment = try await Self.respond(
            Self.request(.get, "/a?id=1#&admin=true", signWith: [.v2], signedTarget: "/a?id=1"))
        #expect(fragment.0 == .unauthorized, "a '#' must not hide part of the query the handler sees")
        for versions in [[MAuthProtocolVersion.v1], [.v2]] {
            let pathFragment = try await Self.respond(
                Self.request(.get, "/a#/../admin", signWith: versions, signedTarget: "/a"))
            #expect(pathFragment.0 == .unauthorized)
        }
        let expired = try await Self.respond(
            Self.request(.get, "/", signWith: [.v2]),
            pipeline: Self.pipeline(authenticator: Fixtures.authenticator(now: Fixtures.time + 301))
        )
        #expect(expired.0 == .unauthorized)
        #expect(expired.1.contains("Time verification failed"))
    }

    @Test("a key service failure answers 500, and the body says nothing of why")
    func unable() async throws {
        struct Down: PublicKeyProvider {
            func publicKey(forAppUUID appUUID: String) async throws -> MAuthPublicKey? {
                throw MAuthError(.unableToAuthenticate, "the MAuth service is unreachable")
            }
        }
        let authenticator = MAuthAuthenticator(keyProvider: Down(), options: .init(clock: .fixed(Fixtures.time)))
        let (status, body, _) = try await Self.respond(
            Self.request(.get, "/", signWith: [.v2]), pipeline: Self.pipeline(authenticator: authenticator))
        #expect(status == .internalServerError)
        #expect(body == #"{"errors":{"mauth":["Could not determine request authenticity"]}}"#)

        struct Corrupt: PublicKeyProvider {
            func publicKey(forAppUUID appUUID: String) async throws -> MAuthPublicKey? {
                try MAuthPublicKey(pem: "-----BEGIN PUBLIC KEY-----\ngarbage\n-----END PUBLIC KEY-----\n")
            }
        }
        let corrupt = MAuthAuthenticator(keyProvider: Corrupt(), options: .init(clock: .fixed(Fixtures.time)))
        let (corruptStatus, corruptBody, _) = try await Self.respond(
            Self.request(.get, "/", signWith: [.v2]), pipeline: Self.pipeline(authenticator: corrupt))
        #expect(corruptStatus == .internalServerError, "a broken key store is the server's failure, not the caller's")
        #expect(corruptBody == #"{"errors":{"mauth":["Could not determine request authenticity"]}}"#)
    }

    @Test("the Ruby client's fixed messages on request")
    func genericMessages() async throws {
        let pipeline = Pipeline(
            MAuthMiddleware(authenticator: Fixtures.authenticator(), errorMessages: .generic),
            handler: Self.echo
        )
        let (status, body, _) = try await Self.respond(Self.request(.get, "/"), pipeline: pipeline)
        #expect(status == .unauthorized)
        #expect(body == #"{"errors":{"mauth":["Unauthorized"]}}"#)
    }

    @Test("a body over the limit answers 413, declared or streamed")
    func bodyLimit() async throws {
        let large = String(repeating: "x", count: 1025)
        let (status, _, _) = try await Self.respond(Self.request(.post, "/echo", body: large, signWith: [.v2]))
        #expect(status == .contentTooLarge)
        var declared = Self.request(.post, "/echo", body: "", signWith: [.v2])
        declared.head.headerFields[.contentLength] = "999999"
        #expect(try await Self.respond(declared).0 == .contentTooLarge)
    }

    @Test(
        "exempt paths pass unauthenticated, and only exactly",
        arguments: [
            ("/app_status", true),
            ("/app_status?verbose=1", true),
            ("/app_status/../secret", false),
            ("//app_status/x", false),
            ("//app_status", false),
            ("/app_status/", false),
            ("/app_status/.", false),
            ("/app_status%2F..%2Fsecret", false),
            ("/app%5Fstatus", false),
            ("/APP_STATUS", false),
            ("/app_status/x", false),
            ("/app_status#x", false),
        ])
    func exempt(target: String, isExempt: Bool) async throws {
        let (status, body, _) = try await Self.respond(Self.request(.get, target))
        if isExempt {
            #expect(status == .ok)
            #expect(body == "anonymous ")
        } else {
            #expect(status == .unauthorized)
        }
    }

    @Test("exempt paths compare bytes, not canonically equivalent text")
    func exemptBytes() {
        let exempt: ExemptPaths = ["/Kelvin", "/a;b"]
        #expect(exempt.contains(rawPath: "/Kelvin"))
        #expect(!exempt.contains(rawPath: "/\u{212A}elvin"), "KELVIN SIGN is not K")
        #expect(!exempt.contains(rawPath: "/a\u{037E}b"), "GREEK QUESTION MARK is not ';'")
    }

    @Test("the response signer signs with the version the request used")
    func responseSigning() async throws {
        let signer = Fixtures.signer(versions: [.v1, .v2])
        let pipeline = Pipeline(
            MAuthResponseSigningMiddleware(signer: signer),
            MAuthMiddleware(authenticator: Fixtures.authenticator(), exemptPaths: ["/app_status"]),
            handler: Self.echo
        )
        for versions in [[MAuthProtocolVersion.v1], [.v2]] {
            let response = await pipeline.respond(
                to: Self.request(.post, "/echo", body: "hi", signWith: versions), context: RequestContext())
            let body = try await response.body.collect(upTo: 1 << 20)
            #expect(response.head.headerFields[versions[0].authenticationHeader] != nil)
            #expect(
                response.head.headerFields[(versions[0] == .v1 ? MAuthProtocolVersion.v2 : .v1).authenticationHeader]
                    == nil)
            let identity = try await Fixtures.authenticator().authenticate(response.head, body: body.readableBytesView)
            #expect(identity.version == versions[0])
        }
        let exempt = await pipeline.respond(to: Self.request(.get, "/app_status"), context: RequestContext())
        #expect(exempt.head.headerFields[.mauthV1Authentication] != nil)
        #expect(exempt.head.headerFields[.mauthV2Authentication] != nil)
        let rejected = await pipeline.respond(to: Self.request(.get, "/"), context: RequestContext())
        #expect(rejected.head.status == .unauthorized)
        let rejectedBody = try await rejected.body.collect(upTo: 1 << 20)
        #expect(
            try await Fixtures.authenticator().authenticate(rejected.head, body: rejectedBody.readableBytesView).version
                == .v2)
    }

    @Test("the fake middleware trusts the header's app UUID and can reject the next request")
    func fake() async throws {
        let fake = FakeMAuthMiddleware()
        let pipeline = Pipeline(fake, handler: Self.echo)
        var request = Self.request(.get, "/")
        request.head.headerFields[.mauthV2Authentication] = "MWSV2 some-app:not-a-real-signature;"
        #expect(try await Self.respond(request, pipeline: pipeline).1 == "some-app v2 ")
        fake.rejectNextRequest()
        #expect(try await Self.respond(request, pipeline: pipeline).0 == .unauthorized)
        #expect(try await Self.respond(request, pipeline: pipeline).0 == .ok)
        #expect(try await Self.respond(Self.request(.get, "/"), pipeline: pipeline).0 == .unauthorized)
        let exempt = Pipeline(FakeMAuthMiddleware(exemptPaths: ["/app_status"]), handler: Self.echo)
        #expect(try await Self.respond(Self.request(.get, "/app_status"), pipeline: exempt).0 == .ok)
    }

    @Test("at debug level a rejected signature is explained in the log, and never in the response")
    func explanationInDebugLog() async throws {
        let request = Self.request(.get, "/files/a%20b", signWith: [.v2], signedTarget: "/files/a b")
        for level in [Logger.Level.debug, .info] {
            let (logger, records) = RecordingLogHandler.logger(level: level)
            let response = await Self.pipeline().respond(to: request, context: RequestContext(logger: logger))
            let body = String(buffer: try await response.body.collect(upTo: 1 << 20))
            #expect(response.head.status == .unauthorized)
            #expect(body == #"{"errors":{"mauth":["Signature verification failed for request."]}}"#)
            let explained = records.all.compactMap { $0.metadata["explanation"].map { "\($0)" } }
            if level == .debug {
                #expect(explained.count == 1)
                #expect(explained.first?.contains("the percent-decoded path") == true)
            } else {
                #expect(explained.isEmpty)
            }
        }
    }
}
