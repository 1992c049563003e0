import AsyncHTTPClient
import Foundation
import HTTPPipeline
import HTTPPipelineServer
import HTTPTypes
import InMemoryTracing
import Locking
import Logging
import MAuth
import MAuthClient
import MAuthMiddleware
import MAuthTestSupport
import NIOCore
import ServiceLifecycle
import Testing
import Tracing

@Suite("Tracing through the server")
struct TracingServerTests {
    @Test("a request's span joins the caller's trace; the handler's spans and the calls it makes carry it on")
    func joinsTheCallersTrace() async throws {
        let tracer = InMemoryTracer()
        let port = Locked(0)
        var router = Router()
        router.get("/outer") { _, _ in
            let client = MAuthHTTPClient(signer: TestServer.signer)
            let inner = try await client.execute(
                HTTPClientRequest(url: "http://127.0.0.1:\(port.withLock { $0 })/inner"))
            return .text(String(buffer: inner.body))
        }
        router.get("/inner") { request, _ in
            .text(request.head.headerFields[HTTPField.Name(InMemoryTracer.traceIDKey)!] ?? "none")
        }
        router.get("/app_status") { _, _ in .text("up") }
        var logger = Logger(label: "test.tracing")
        logger.logLevel = .critical
        let server = HTTPServer(
            configuration: HTTPServerConfiguration(port: 0),
            handler: Pipeline(
                MAuthMiddleware(
                    authenticator: MAuthAuthenticator(
                        keyProvider: InMemoryPublicKeyProvider([Fixtures.appUUID: Fixtures.publicKey])),
                    exemptPaths: ["/app_status"]),
                handler: router),
            logger: logger, tracer: tracer)
        let group = ServiceGroup(configuration: .init(services: [server], logger: logger))
        let running = Task { try await group.run() }
        let listening = try await server.listeningPorts().cleartext
        port.withLock { $0 = listening }

        let curl = try #require(ChildProcess.find("curl"), "curl is needed for this test")
        let signed = try TestServer.signer.headers(method: "GET", target: MAuthRequestTarget("/outer"), body: [UInt8]())
        // The second request on the same connection is read only once the first one's span has ended.
        let result = try await ChildProcess.run(
            URL(fileURLWithPath: curl),
            ["-s", "-H", "\(InMemoryTracer.traceIDKey): trace-A", "-H", "\(InMemoryTracer.spanIDKey): span-A"]
                + signed.flatMap { ["-H", "\($0.name.rawName): \($0.value)"] }
                + ["http://127.0.0.1:\(listening)/outer", "http://127.0.0.1:\(listening)/app_status"])
        #expect(result.text == "trace-Aup", "the inner call carried the caller's trace: \(result.errorText)")

        let spans = tracer.finishedSpans
        let outer = try #require(
            spans.first { $0.kind == .server && $0.attributes.get("url.path") == .string("/outer") })
        #expect(outer.operationName == "GET")
        #expect(outer.spanContext.traceID == "trace-A")
        #expect(outer.spanContext.parentSpanID == "span-A")
        #expect(outer.attributes.get("http.response.status_code") == .int64(200))
        let call = try #require(spans.first { $0.kind == .client }, "AsyncHTTPClient's span for the inner call")
        #expect(call.spanContext.traceID == "trace-A")
        #expect(call.spanContext.parentSpanID == outer.spanContext.spanID)
        let inner = try #require(
            spans.first { $0.kind == .server && $0.attributes.get("url.path") == .string("/inner") })
        #expect(
            inner.spanContext.parentSpanID == call.spanContext.spanID, "the inner request continued the call's span")
        let authentications = spans.filter { $0.operationName == "mauth.authenticate" }
        #expect(authentications.contains { $0.spanContext.parentSpanID == outer.spanContext.spanID })

        await group.triggerGracefulShutdown()
        try await running.value
    }
}
