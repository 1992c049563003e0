import Foundation
import Glibc
import HTTPPipeline
import HTTPPipelineServer
import HTTPTypes
import Locking
import Logging
import MAuth
import MAuthTestSupport
import NIOCore
import NIOPosix
import ServiceLifecycle

// SwiftNIO's C shim includes the socket headers first, so the compiler takes `sockaddr_in`'s fields
// to be declared there.
#if canImport(CNIOLinux)
    import CNIOLinux
#endif

/// An ``HTTPServer`` on a free loopback port serving `handler`, started and stopped by a test.
final class RunningServer: Sendable {
    let ports: HTTPServer.ListeningPorts
    private let group: ServiceGroup
    private let running: Task<Void, any Error>

    init(_ handler: some Handler, maxBodySize: Int = 1 << 20, tls: TestCertificate? = nil) async throws {
        var logger = Logger(label: "test.upstream")
        logger.logLevel = .warning
        var configuration = HTTPServerConfiguration(port: 0, maxBodySize: maxBodySize)
        if let tls {
            configuration.tls = .init(
                port: 0, certificateChainFile: tls.certificatePath, privateKeyFile: tls.privateKeyPath)
        }
        let server = HTTPServer(configuration: configuration, handler: handler, logger: logger)
        group = ServiceGroup(configuration: .init(services: [server], logger: logger))
        let group = group
        running = Task { try await group.run() }
        ports = try await server.listeningPorts()
    }

    var baseURL: String { "http://127.0.0.1:\(ports.cleartext)" }

    /// The TLS port's URL, by the name its test certificate is for.
    var tlsBaseURL: String { "https://localhost:\(ports.tls ?? 0)" }

    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await running.value
    }
}

/// The upstream that shows the proxy's work: what it received, redirects and a
/// large streamed body.
enum InspectingUpstream {
    /// The size of `GET /big`: far more than the proxy may hold in memory.
    static let bigBodySize = 128 << 20

    static var router: Router {
        var router = Router()
        router.get("/headers") { request, _ in
            var lines = request.head.headerFields.map { "\($0.name.canonicalName): \($0.value)" }
            lines.append("target: \(request.target)")
            return .text(lines.joined(separator: "\n"))
        }
        router.post("/headers") { request, _ in
            let body = try await request.body.collect(upTo: 1 << 20)
            return .text("body: \(String(buffer: body))")
        }
        router.get("/base/redirect") { request, _ in
            Response(
                status: .found,
                headerFields: [.location: "http://\(request.head.authority ?? "")/base/landed?x=1"])
        }
        router.get("/base/redirect-elsewhere") { _, _ in
            Response(status: .movedPermanently, headerFields: [.location: "https://elsewhere.example/"])
        }
        router.get("/base/landed") { _, _ in .text("landed") }
        router.get("/big") { _, _ in
            Response(
                status: .ok,
                headerFields: [.contentType: "application/octet-stream"],
                body: ResponseBody { writer in
                    let chunk = ByteBuffer(repeating: UInt8(ascii: "x"), count: 64 << 10)
                    for _ in 0..<(bigBodySize / chunk.readableBytes) { try await writer.write(chunk) }
                })
        }
        return router
    }
}

/// A TCP server on a free loopback port that is no HTTP server: it answers whatever it reads with
/// `reply` and closes, or, with no reply, reads and never answers.
final class RawUpstream: Sendable {
    private let channel: any Channel

    init(reply: String?) async throws {
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Reply(text: reply))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    var baseURL: String { "http://127.0.0.1:\(channel.localAddress?.port ?? 0)" }

    func stop() async throws { try await channel.close() }

    private final class Reply: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let text: String?

        init(text: String?) {
            self.text = text
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard let text else { return }
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(NIOAny(ByteBuffer(string: text)))
                .whenComplete { _ in bound.value.close(promise: nil) }
        }
    }
}

/// An HTTP/1.1 upstream that answers the first request on each connection with a keep-alive
/// response and closes the connection when a second one arrives, as an upstream does that closes
/// an idle connection just as the proxy reuses it. It counts its connections, and sends on them
/// when told, as a broken upstream does that answers more than it was asked.
final class OneAnswerPerConnection: Sendable {
    private let channel: any Channel
    private let accepted = Locked<[any Channel]>([])

    init() async throws {
        let accepted = accepted
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                accepted.withLock { $0.append(channel) }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(AnswerOnce())
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    var port: Int { channel.localAddress?.port ?? 0 }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// How many connections the upstream accepted.
    var connectionCount: Int { accepted.withLock { $0.count } }

    /// Sends `text` on every connection the upstream accepted.
    func send(_ text: String) async throws {
        for connection in accepted.withLock({ $0 }) { try await connection.writeAndFlush(ByteBuffer(string: text)) }
    }

    func stop() async throws { try await channel.close() }

    private final class AnswerOnce: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        private var answered = false
        private var received = ""

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard !answered else {
                context.close(promise: nil)
                return
            }
            received += String(buffer: unwrapInboundIn(data))
            guard received.contains("\r\n\r\n") else { return }
            answered = true
            context.writeAndFlush(
                NIOAny(ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nanswered")), promise: nil)
        }
    }
}

/// A loopback port that refuses connections: a socket bound to it that never listens, held until
/// `close()`, so no other test can take the port meanwhile.
final class RefusingPort: Sendable {
    let port: Int
    private let descriptor: Int32

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bind(descriptor, address, length) == 0 && getsockname(descriptor, address, &length) == 0
            }
        }
        guard descriptor >= 0, bound else { throw IOError(errnoCode: errno, reason: "binding a refusing port") }
        self.descriptor = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    func close() { _ = Glibc.close(descriptor) }
}

/// An upstream whose every request waits until the test releases them all: requests that hold
/// their connections for as long as a test needs.
final class HeldUpstream: Handler {
    private struct State {
        var released = false
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Locked(State())
    private let arrival: AsyncStream<Void>.Continuation
    /// One element for each request that reached the upstream.
    let arrivals: AsyncStream<Void>

    init() {
        (arrivals, arrival) = AsyncStream.makeStream()
    }

    func handle(_ request: Request, context: RequestContext) async throws -> Response {
        arrival.yield()
        await withCheckedContinuation { continuation in
            let runNow = state.withLock { state in
                if state.released { return true }
                state.waiting.append(continuation)
                return false
            }
            if runNow { continuation.resume() }
        }
        return .text("released")
    }

    /// Lets every waiting request, and every later one, answer.
    func release() {
        let waiting = state.withLock { state in
            state.released = true
            defer { state.waiting = [] }
            return state.waiting
        }
        for continuation in waiting { continuation.resume() }
    }

    /// Waits until `count` requests have reached the upstream, at most 20 s.
    func awaitArrivals(_ count: Int) async throws {
        let arrivals = arrivals
        try await withTimeLimit(
            .seconds(20), timeoutError: ChildProcess.Failure(description: "fewer than \(count) requests arrived")
        ) {
            var seen = 0
            for await _ in arrivals {
                seen += 1
                if seen == count { return }
            }
        }
    }
}
