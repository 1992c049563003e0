import Foundation
import HTTPPipeline
import HTTPPipelineServer
import HTTPTypes
import Locking
import Logging
import MAuth
import MAuthMiddleware
import MAuthTestSupport
import NIOCore
import NIOPosix
import ServiceLifecycle

/// An ``HTTPServer`` on free ports, serving a small application behind ``MAuthMiddleware``, that
/// tests start and stop.
final class TestServer: Sendable {
    let server: HTTPServer
    let ports: HTTPServer.ListeningPorts
    /// The handler of `GET /held`.
    let held: HeldRequest
    private let group: ServiceGroup
    private let running: Task<Void, any Error>
    private let stopped = Locked(false)

    /// Callers of the test application sign with the protocol test suite's key.
    static let signer = try! MAuthSigner(
        appUUID: Fixtures.appUUID,
        privateKey: Fixtures.privateKey,
        versions: [.v1, .v2]
    )

    /// What `GET /until-cancelled` handlers report: `started`, then `cancelled`.
    static let untilCancelledEvents = AsyncStream<String>.makeStream()

    /// The size of `GET /big`: more than a socket buffer and an HTTP/2 flow-control window hold.
    static let bigBodySize = 16 * 1024 * 1024

    /// The size of `GET /flood`, written 64 KiB at a time as fast as the writer takes it.
    static let floodSize = 64 * 1024 * 1024

    static func application(maxBodySize: Int, held: HeldRequest) -> Pipeline {
        var router = Router()
        router.get("/") { _, context in
            .json(
                JSON.object([
                    "app_uuid": .string(context.mauthIdentity?.appUUID ?? ""),
                    "protocol_version": .number(context.mauthIdentity?.version.number ?? 0),
                    "http_version": .string(context.httpVersion.description),
                ])
            )
        }
        router.post("/echo") { request, _ in
            Response(status: .ok, body: ResponseBody(buffer: try await request.body.collect(upTo: maxBodySize)))
        }
        router.get("/app_status") { _, _ in .text("this route is exempt from authentication") }
        router.get("/event-loop") { _, _ in
            // Suspends first, so that what is reported is where the handler resumes.
            await Task.yield()
            return .text(MultiThreadedEventLoopGroup.currentEventLoop == nil ? "elsewhere" : "event loop")
        }
        router.get("/held") { _, _ in
            await held.hold()
            return .text("finished")
        }
        router.get("/until-cancelled") { _, _ in
            untilCancelledEvents.continuation.yield("started")
            // Waits for nothing but its task's cancellation: a stream that never yields ends then.
            let (never, continuation) = AsyncStream<Never>.makeStream()
            for await _ in never {}
            continuation.finish()
            untilCancelledEvents.continuation.yield(Task.isCancelled ? "cancelled" : "finished")
            return .text("finished")
        }
        router.post("/late-read") { request, _ in
            // Reads the request body only while the response is being written: after the handler
            // returned, which the server refuses.
            Response(
                status: .ok,
                body: ResponseBody { writer in
                    for try await part in request.body { try await writer.write(part) }
                }
            )
        }
        router.get("/big") { _, _ in
            Response(
                status: .ok, body: ResponseBody(buffer: ByteBuffer(repeating: UInt8(ascii: "x"), count: bigBodySize)))
        }
        router.get("/flood") { _, _ in
            Response(
                status: .ok,
                body: ResponseBody { writer in
                    // A buffer of its own each time, as an upstream's would be: one buffer written
                    // again and again would cost its memory only once, however much was held.
                    let chunkSize = 64 * 1024
                    for _ in 0..<(floodSize / chunkSize) {
                        try await writer.write(ByteBuffer(repeating: UInt8(ascii: "x"), count: chunkSize))
                    }
                }
            )
        }
        router.get("/stream") { _, _ in
            Response(
                status: .ok,
                body: ResponseBody { writer in
                    for part in ["one ", "two ", "three"] {
                        try await writer.write(ByteBuffer(string: part))
                    }
                }
            )
        }
        let authenticator = MAuthAuthenticator(
            keyProvider: InMemoryPublicKeyProvider([Fixtures.appUUID: Fixtures.publicKey]))
        return Pipeline(
            MAuthMiddleware(
                authenticator: authenticator,
                exemptPaths: [
                    "/app_status", "/event-loop", "/held", "/stream", "/big", "/flood", "/late-read",
                    "/until-cancelled",
                ],
                maxBodySize: maxBodySize
            ),
            handler: router
        )
    }

    init(
        tls: TestCertificate? = nil, maxBodySize: Int = 64 * 1024,
        configure: (inout HTTPServerConfiguration) -> Void = { _ in }
    ) async throws {
        var configuration = HTTPServerConfiguration(port: 0, maxBodySize: maxBodySize)
        if let tls {
            configuration.tls = .init(
                port: 0, certificateChainFile: tls.certificatePath, privateKeyFile: tls.privateKeyPath)
        }
        configure(&configuration)
        var logger = Logger(label: "test.server")
        logger.logLevel = .warning
        let held = HeldRequest()
        let server = HTTPServer(
            configuration: configuration, handler: Self.application(maxBodySize: maxBodySize, held: held),
            logger: logger)
        let group = ServiceGroup(configuration: .init(services: [server], logger: logger))
        self.server = server
        self.held = held
        self.group = group
        let stopped = self.stopped
        self.running = Task {
            defer { stopped.withLock { $0 = true } }
            try await group.run()
        }
        self.ports = try await server.listeningPorts()
    }

    var baseURL: String { "http://127.0.0.1:\(ports.cleartext)" }
    var secureBaseURL: String { "https://localhost:\(ports.tls ?? 0)" }

    /// Starts a graceful shutdown and waits for the server to finish.
    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await running.value
    }

    /// Starts a graceful shutdown and returns once the server has stopped listening: from then on
    /// it only finishes what it has.
    func beginShutdown() async {
        await group.triggerGracefulShutdown()
        // Bounded: a server that keeps listening fails the test that waits for it.
        for _ in 0..<100_000 {
            guard (try? RawConnection(port: ports.cleartext)) != nil else { return }
            await Task.yield()
        }
    }

    /// Whether the server has stopped.
    var hasStopped: Bool { stopped.withLock { $0 } }

    /// Waits for a shutdown already begun to finish.
    func waitUntilStopped() async throws {
        try await running.value
    }

    /// MAuth headers for a request, signed now.
    static func signedHeaders(
        method: String, target: String, body: [UInt8] = [], versions: [MAuthProtocolVersion] = [.v2]
    )
        -> HTTPFields
    {
        try! signer.headers(method: method, target: MAuthRequestTarget(target), body: body, versions: versions)
    }
}
