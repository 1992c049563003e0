import Foundation
import HTTPPipeline
import HTTPPipelineServer
import HTTPTypes
import Logging
import MAuth
import MAuthMiddleware
import MAuthTestSupport
import NIOCore
import ServiceLifecycle

/// A server for client tests: it authenticates callers (the suite's app) and signs responses as
/// the responder app, except `/unsigned`; `/tampered` has its body changed after signing.
final class ClientServer: Sendable {
    static let responderUUID = Fixtures.otherAppUUID
    let port: Int
    let tlsPort: Int?
    private let group: ServiceGroup
    private let running: Task<Void, any Error>

    /// The body of `GET /big`, streamed: past a spool's memory threshold.
    static let bigBody = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }

    /// Changes the body of `/tampered` after the response was signed.
    struct Tamper: Middleware {
        func handle(_ request: Request, context: RequestContext, next: any Handler) async throws -> Response {
            var response = try await next.handle(request, context: context)
            if request.path == "/tampered" { response.body = ResponseBody(buffer: ByteBuffer(string: "changed")) }
            return response
        }
    }

    init(tls: (certificate: String, key: String)? = nil) async throws {
        var router = Router()
        router.get("/") { _, context in
            .json(
                JSON.object([
                    "app_uuid": .string(context.mauthIdentity?.appUUID ?? ""),
                    "protocol_version": .number(context.mauthIdentity?.version.number ?? 0),
                    "http_version": .string(context.httpVersion.description),
                ]))
        }
        router.post("/echo") { request, _ in
            Response(status: .ok, body: ResponseBody(buffer: try await request.body.collect(upTo: 1 << 20)))
        }
        router.get("/big") { _, _ in
            Response(
                status: .ok,
                body: ResponseBody { writer in
                    let body = Self.bigBody
                    for start in stride(from: 0, to: body.count, by: 65_536) {
                        try await writer.write(ByteBuffer(bytes: body[start..<min(start + 65_536, body.count)]))
                    }
                })
        }
        for path in ["/files/%E2%82%AC/", "/files/a%20b", "/tampered"] {
            router.get(path) { request, _ in .text(String(request.target)) }
        }
        let signer = try MAuthSigner(
            appUUID: Self.responderUUID, privateKey: Fixtures.otherPrivateKey, versions: [.v1, .v2])
        let authenticate = MAuthMiddleware(
            authenticator: MAuthAuthenticator(
                keyProvider: InMemoryPublicKeyProvider([Fixtures.appUUID: Fixtures.publicKey]))
        )
        let signed = Pipeline(Tamper(), MAuthResponseSigningMiddleware(signer: signer), authenticate, handler: router)
        var outer = Router()
        outer.get("/unsigned") { _, _ in .text("no signature here") }
        outer.get("/redirect") { _, _ in
            var response = Response.text("elsewhere")
            response.head.status = .temporaryRedirect
            response.head.headerFields[.location] = "http://127.0.0.1:9/collect-signatures"
            return response
        }
        for path in ["/", "/echo", "/big", "/files/%E2%82%AC/", "/files/a%20b", "/tampered"] {
            for method in [HTTPRequest.Method.get, .post] {
                outer.on(method, path, use: signed)
            }
        }
        var configuration = HTTPServerConfiguration(port: 0)
        if let tls {
            configuration.tls = .init(port: 0, certificateChainFile: tls.certificate, privateKeyFile: tls.key)
        }
        var logger = Logger(label: "test.client-server")
        logger.logLevel = .critical
        let server = HTTPServer(configuration: configuration, handler: outer, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [server], logger: logger))
        self.group = group
        running = Task { try await group.run() }
        let ports = try await server.listeningPorts()
        port = ports.cleartext
        tlsPort = ports.tls
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await running.value
    }

    /// Authenticates responses signed by the responder app.
    static let responseAuthenticator = MAuthAuthenticator(
        keyProvider: InMemoryPublicKeyProvider([responderUUID: Fixtures.otherPrivateKey.publicKey])
    )

    static let signer = try! MAuthSigner(
        appUUID: Fixtures.appUUID, privateKey: Fixtures.privateKey, versions: [.v1, .v2])
}
