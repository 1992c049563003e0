import Foundation
import HTTPPipeline
import HTTPPipelineServer
import HTTPTypes
import Logging
import MAuth
import MAuthMiddleware
import MAuthTestSupport
import ServiceLifecycle

/// A server with a clock of its own: it authenticates the suite's app against its own time and says
/// that time in every response's `Date`, as a server on another machine with a wrong clock would.
final class SkewedServer: Sendable {
    let port: Int
    private let group: ServiceGroup
    private let running: Task<Void, any Error>

    /// Dates its responses with its own clock.
    private struct DateField: Middleware {
        let clock: MAuthClock

        func handle(_ request: Request, context: RequestContext, next: any Handler) async throws -> Response {
            var response = try await next.handle(request, context: context)
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
            response.head.headerFields[.date] = formatter.string(
                from: Date(timeIntervalSince1970: TimeInterval(clock.now())))
            return response
        }
    }

    /// A server `skew` seconds ahead of this machine's clock.
    convenience init(skew: Int64) async throws {
        try await self.init(clock: MAuthClock { Int64(Date().timeIntervalSince1970) + skew })
    }

    init(clock: MAuthClock) async throws {
        var router = Router()
        router.get("/") { _, context in .text(context.mauthIdentity?.appUUID ?? "") }
        let authenticate = MAuthMiddleware(
            authenticator: MAuthAuthenticator(
                keyProvider: InMemoryPublicKeyProvider([Fixtures.appUUID: Fixtures.publicKey]),
                options: .init(clock: clock)))
        var logger = Logger(label: "test.skewed-server")
        logger.logLevel = .critical
        let server = HTTPServer(
            configuration: HTTPServerConfiguration(port: 0),
            handler: Pipeline(DateField(clock: clock), authenticate, handler: router), logger: logger)
        let group = ServiceGroup(configuration: .init(services: [server], logger: logger))
        self.group = group
        running = Task { try await group.run() }
        port = try await server.listeningPorts().cleartext
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await running.value
    }
}
