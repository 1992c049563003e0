import Foundation
import HTTPPipeline
import HTTPPipelineServer
import Logging
import MAuth
import MAuthDevelopmentService
import MAuthMiddleware
import MAuthService
import MAuthTestSupport
import ServiceLifecycle

/// The development MAuth service on a free port, behind a ``Switchboard``.
final class InstrumentedService: Sendable {
    let switchboard = Switchboard()
    let keysDirectory: URL
    /// Owns `keysDirectory`, so that the directory goes when the service does.
    private let temporaryKeysDirectory: TemporaryDirectory
    let port: Int
    private let group: ServiceGroup
    private let running: Task<Void, any Error>

    /// The app that calls the service; its key is registered.
    static let callerUUID = Fixtures.appUUID

    init(maxAge: Int = 300, requireSignedRequests: Bool = true) async throws {
        temporaryKeysDirectory = try TemporaryDirectory("mauth-service-keys")
        keysDirectory = temporaryKeysDirectory.url
        try Fixtures.publicKeyPEM.write(
            to: keysDirectory.appendingPathComponent("\(Self.callerUUID).pub"), atomically: true, encoding: .utf8)
        var logger = Logger(label: "test.service")
        logger.logLevel = .critical
        let service = DevelopmentMAuthService(keysDirectory: keysDirectory.path, maxAge: maxAge)
        var middlewares: [any Middleware] = [switchboard]
        if requireSignedRequests {
            let callers = DirectoryPublicKeyProvider(directory: keysDirectory.path, recheckInterval: .zero)
            middlewares.append(MAuthMiddleware(authenticator: MAuthAuthenticator(keyProvider: callers)))
        }
        let server = HTTPServer(
            configuration: HTTPServerConfiguration(port: 0, maxBodySize: 1 << 20),
            handler: Pipeline(middlewares: middlewares, handler: service),
            logger: logger
        )
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

    /// Registers a new app with a new key.
    func registerApp() throws -> (appUUID: String, key: MAuthPrivateKey) {
        let appUUID = UUID().uuidString.lowercased()
        let key = try MAuthPrivateKey.generate()
        try key.publicKey.pem.write(
            to: keysDirectory.appendingPathComponent("\(appUUID).pub"), atomically: true, encoding: .utf8)
        return (appUUID, key)
    }

    /// Gives a registered app a new key, as a rotation does, and returns it.
    func rotateKey(of appUUID: String) throws -> MAuthPrivateKey {
        let key = try MAuthPrivateKey.generate()
        try key.publicKey.pem.write(
            to: keysDirectory.appendingPathComponent("\(appUUID).pub"), atomically: true, encoding: .utf8)
        return key
    }

    /// A client that signs as the registered caller. Its timeout is generous unless a test is about
    /// timeouts: on a busy machine (sanitizers, CI), a loopback answer can take seconds.
    func client(baseURL: String? = nil, timeout: Duration = .seconds(15)) -> MAuthServiceClient {
        MAuthServiceClient(
            baseURL: baseURL ?? self.baseURL,
            signer: try! MAuthSigner(appUUID: Self.callerUUID, privateKey: Fixtures.privateKey),
            timeout: timeout
        )
    }

    func keyProvider(_ policy: MAuthServiceKeyProvider.CachePolicy = .init(), clock: MAuthClock = .system)
        -> MAuthServiceKeyProvider
    {
        MAuthServiceKeyProvider(client: client(), cachePolicy: policy, clock: clock)
    }
}
