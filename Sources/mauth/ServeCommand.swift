import ArgumentParser
import DemoApplication
import Foundation
import HTTPPipeline
import HTTPPipelineServer
import Logging
import MAuth
import MAuthMiddleware
import MAuthService
import NIOCore

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the demo application behind MAuth authentication (HTTP/1.1 and HTTP/2).",
        discussion: """
            With no options, callers' public keys come from .mauth/ in the working directory, which \
            is created on first run with a development identity; the command that sends a signed \
            request with it is printed at start. Stops gracefully on SIGTERM or SIGINT.
            """
    )

    @Option(help: "The cleartext port (HTTP/1.1 and HTTP/2 with prior knowledge); 0 picks a free port.")
    var port = 8080

    @OptionGroup var listener: ListenerOptions

    @Option(help: "Serve the public keys (<app_uuid>.pub) found in this directory instead of .mauth/.")
    var keysDir: String?

    @Option(help: "Authenticate through this MAuth service instead of a key directory (MAUTH_URL).")
    var mauthURL: String?

    @Option(
        help: "With --mauth-url: local (fetch and cache public keys) or remote (the service checks each signature).")
    var mode: String?

    @Option(
        help: "With --mauth-url: this app's UUID, for signing calls to the service (else MAUTH_APP_UUID or APP_UUID).")
    var appUUID: String?

    @Option(
        help:
            "With --mauth-url: this app's private key file (else MAUTH_PRIVATE_KEY, PRIVATE_KEY or MAUTH_PRIVATE_KEY_FILE)."
    )
    var privateKeyFile: String?

    @Option(help: "With --mauth-url in local mode: serve an expired key for this many seconds while the service fails.")
    var staleIfError: Int?

    @Option(name: .customLong("exempt"), help: "A path that skips authentication; repeatable. Default: /app_status.")
    var exemptPaths: [String] = []

    @Option(
        help: """
            The largest request body, in bytes. Bodies are authenticated as they stream and kept in \
            --spool-dir beyond 1 MiB, so a larger limit does not cost memory.
            """)
    var maxBodySize = MAuthMiddleware.defaultMaxBodySize

    @OptionGroup var spoolOptions: SpoolOptions

    @OptionGroup var metricsOptions: MetricsOptions

    @OptionGroup var configOptions: ConfigOptions

    @OptionGroup var tracingOptions: TracingOptions

    @Flag(help: "Reject V1-only requests and never fall back to V1.")
    var v2Only = false

    @Flag(
        help: """
            Sign every response: with --mauth-url, with the identity that calls the service; otherwise with the \
            identity from the environment, else the development identity.
            """)
    var signResponses = false

    @OptionGroup(title: "Limits and deadlines")
    var limits: ServerLimitOptions

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard maxBodySize > 0 else { throw ValidationError("--max-body-size must be positive") }
        if mauthURL != nil, keysDir != nil {
            throw ValidationError("--mauth-url and --keys-dir are alternatives; give one")
        }
        if mauthURL == nil, mode != nil || appUUID != nil || privateKeyFile != nil || staleIfError != nil {
            throw ValidationError("--mode, --app-uuid, --private-key-file and --stale-if-error go with --mauth-url")
        }
        if let mode, mode != "local", mode != "remote" {
            throw ValidationError("--mode must be local or remote")
        }
        for path in exemptPaths where !path.hasPrefix("/") {
            throw ValidationError("--exempt paths start with '/', not '\(path)'")
        }
    }

    /// Sends log lines at `level` and above to standard error and returns a logger.
    static func bootstrapLogging(level: Logger.Level, label: String) -> Logger {
        LoggingSystem.bootstrap { label in BufferedLogHandler(label: label, level: level) }
        return Logger(label: label)
    }

    func run() async throws {
        let logger = Self.bootstrapLogging(level: listener.level, label: "mauth.serve")
        listener.applyIOThreads()
        let metrics = metricsOptions.bootstrap(logger: logger)
        let tracing = try tracingOptions.bootstrap(serviceName: "mauth-serve")
        let settings = try await configOptions.load()

        let keysDescription: String
        var developmentIdentity: (files: DevelopmentIdentityFiles, key: MAuthPrivateKey)?
        let authenticator: MAuthAuthenticator
        if let mauthURL {
            authenticator = try serviceAuthenticator(mauthURL: mauthURL, settings: settings, logger: logger)
            keysDescription = "the MAuth service at \(mauthURL) (\(mode ?? "local") mode)"
        } else {
            let keysDirectory: String
            if let keysDir {
                keysDirectory = keysDir
                guard FileManager.default.fileExists(atPath: keysDir) else {
                    throw CommandFailure.usage("--keys-dir \(keysDir) does not exist")
                }
            } else {
                keysDirectory = ".mauth"
                developmentIdentity = try DevelopmentIdentityFiles.loadOrCreate(in: keysDirectory)
            }
            authenticator = MAuthAuthenticator(
                keyProvider: DirectoryPublicKeyProvider(directory: keysDirectory),
                options: .init(v2Only: v2Only),
                logger: logger
            )
            keysDescription = "\(keysDirectory)/<app_uuid>.pub"
        }

        let spool = try spoolOptions.makeSpool()

        var middlewares: [any Middleware] = []
        if signResponses {
            middlewares.append(
                MAuthResponseSigningMiddleware(
                    signer: try responseSigner(developmentIdentity, settings: settings), spool: spool))
        }
        middlewares.append(
            MAuthMiddleware(
                authenticator: authenticator,
                exemptPaths: exemptPaths.isEmpty ? DemoApplication.exemptPaths : ExemptPaths(exemptPaths),
                maxBodySize: maxBodySize,
                spool: spool
            )
        )
        let pipeline = Pipeline(middlewares: middlewares, handler: DemoApplication.router(maxBodySize: maxBodySize))

        var configuration = listener.serverConfiguration(port: port, maxBodySize: maxBodySize)
        limits.apply(to: &configuration)
        let server = HTTPServer(
            configuration: configuration, handler: pipeline, logger: logger, metricsFactory: metrics?.factory,
            tracer: tracing?.tracer)
        try await server.runAsCommand(
            logger: logger, metrics: metrics, alongside: tracing.map { [$0.exporter] } ?? []
        ) { ports, metricsURL in
            printBanner(
                ports: ports, keys: keysDescription, identity: developmentIdentity?.files, metricsURL: metricsURL)
        }
    }

    /// The identity that signs responses: with `--mauth-url`, the one that signs calls to the
    /// service (the options, else the environment); otherwise the environment's, else the
    /// development identity.
    private func responseSigner(
        _ development: (files: DevelopmentIdentityFiles, key: MAuthPrivateKey)?, settings: MAuthConfiguration
    ) throws -> MAuthSigner {
        if let mauthURL {
            do {
                return try serviceConfiguration(mauthURL: mauthURL, settings: settings).signer()
            } catch {
                throw CommandFailure.usage(error.message)
            }
        }
        if settings.appUUID != nil || settings.privateKey != nil {
            return try settings.signer()
        }
        let identity = try development ?? DevelopmentIdentityFiles.loadOrCreate(in: ".mauth")
        return try MAuthSigner(
            appUUID: identity.files.appUUID, privateKey: identity.key, versions: settings.signVersions)
    }

    /// Authentication through a MAuth service, with this app's identity from the options or the
    /// environment.
    private func serviceAuthenticator(mauthURL: String, settings: MAuthConfiguration, logger: Logger) throws
        -> MAuthAuthenticator
    {
        do {
            var configuration = try serviceConfiguration(mauthURL: mauthURL, settings: settings)
            configuration.v2OnlyAuthenticate = configuration.v2OnlyAuthenticate || v2Only
            let cachePolicy = MAuthServiceKeyProvider.CachePolicy(
                staleIfErrorGracePeriod: staleIfError.map { .seconds($0) })
            return try MAuthServiceAuthenticator(configuration: configuration, cachePolicy: cachePolicy, logger: logger)
                .authenticator
        } catch {
            throw CommandFailure.usage(error.message)
        }
    }

    /// This app's configuration for talking to the MAuth service: the configuration file under the
    /// environment, with the options given on the command line taking precedence.
    private func serviceConfiguration(mauthURL: String, settings: MAuthConfiguration) throws(MAuthError)
        -> MAuthConfiguration
    {
        var configuration = settings
        configuration.mauthURL = mauthURL
        if let mode { configuration.mode = mode == "remote" ? .remote : .local }
        if let appUUID { configuration.appUUID = appUUID }
        if let privateKeyFile { configuration.privateKey = try MAuthPrivateKey(contentsOfFile: privateKeyFile) }
        return configuration
    }

    private func printBanner(
        ports: HTTPServer.ListeningPorts, keys: String, identity: DevelopmentIdentityFiles?, metricsURL: String?
    ) {
        let base = "http://\(urlHost(listener.host)):\(ports.cleartext)"
        var lines = ["mauth serve: listening on \(base) (HTTP/1.1 and HTTP/2 prior knowledge)"]
        if let tls = ports.tls {
            lines.append(
                "mauth serve: listening on https://\(urlHost(listener.host)):\(tls) (TLS, ALPN h2 and http/1.1)")
        }
        if let metricsURL { lines.append("mauth serve: metrics on \(metricsURL)") }
        lines.append("mauth serve: public keys from \(keys)")
        if let identity {
            let executable = CommandLine.arguments.first ?? "mauth"
            lines.append("mauth serve: development identity \(identity.appUUID) (\(identity.privateKeyPath))")
            lines.append("Send a signed request (bash):")
            lines.append(
                "  curl -H @<(\(executable) sign --protocol v1,v2 --private-key-file \(identity.privateKeyPath) "
                    + "--app-uuid \(identity.appUUID) --method GET --url /) \(base)/"
            )
        }
        if identity != nil {
            lines.append("Or, from this directory: \(CommandLine.arguments.first ?? "mauth") request GET \(base)/")
        }
        lines.append("Unsigned, exempt: curl \(base)/app_status")
        Terminal.writeLine(lines.joined(separator: "\n"))
    }
}
