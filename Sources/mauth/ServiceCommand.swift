import ArgumentParser
import Foundation
import HTTPPipeline
import HTTPPipelineServer
import Logging
import MAuth
import MAuthDevelopmentService
import MAuthMiddleware

struct ServiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "service",
        abstract:
            "Run a local MAuth-compatible service (security tokens, authentication tickets) over a key directory.",
        discussion: """
            Serves GET /mauth/v1/security_tokens/<app_uuid>.json and POST \
            /mauth/v1/authentication_tickets.json from the <app_uuid>.pub files in --keys-dir. Like \
            the real service, callers must sign their requests with a key from that directory, \
            unless --allow-unsigned. Keys added or removed are seen without a restart. The app that \
            the configuration names (~/.mauth_config.yml or --config, under MAUTH_APP_UUID and the \
            private key variables) is registered too, so that it can call the service.
            """
    )

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port; 0 picks a free port.")
    var port = 7000

    @Option(help: "The directory of <app_uuid>.pub public keys.")
    var keysDir: String

    @Option(help: "The max-age, in seconds, sent with every security token.")
    var maxAge = 300

    @Flag(help: "Answer unsigned requests too.")
    var allowUnsigned = false

    @Option(help: "trace, debug, info (one access line per request), notice, warning, error or critical.")
    var logLevel = "info"

    @OptionGroup var configOptions: ConfigOptions

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard maxAge >= 0 else { throw ValidationError("--max-age must not be negative") }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: keysDir, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("--keys-dir \(keysDir) is not a directory")
        }
    }

    func run() async throws {
        UsableCores.sizeSharedEventLoopGroup()
        let logger = ServeCommand.bootstrapLogging(
            level: Logger.Level(rawValue: logLevel) ?? .info, label: "mauth.service")
        let settings = try await configOptions.load()
        var registered: [String: MAuthPublicKey] = [:]
        if let appUUID = settings.appUUID, let privateKey = settings.privateKey {
            registered[appUUID] = privateKey.publicKey
        }
        let service = DevelopmentMAuthService(keysDirectory: keysDir, registeredKeys: registered, maxAge: maxAge)
        var middlewares: [any Middleware] = []
        if !allowUnsigned {
            let callers = MAuthAuthenticator(keyProvider: service.keyProvider, logger: logger)
            middlewares.append(MAuthMiddleware(authenticator: callers, maxBodySize: service.maxTicketSize))
        }
        let server = HTTPServer(
            configuration: HTTPServerConfiguration(host: host, port: port, maxBodySize: service.maxTicketSize),
            handler: Pipeline(middlewares: middlewares, handler: service),
            logger: logger
        )
        try await server.runAsCommand(logger: logger) { ports, _ in
            Terminal.writeLine(
                "mauth service: listening on http://\(urlHost(host)):\(ports.cleartext) with keys from \(keysDir)"
                    + (registered.isEmpty ? "" : " and the configured app \(registered.keys.first!)")
                    + (allowUnsigned ? " (unsigned requests allowed)" : "")
            )
        }
    }
}
