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

    @OptionGroup var authentication: AuthenticationOptions

    @Option(name: .customLong("exempt"), help: "A path that skips authentication; repeatable. Default: /app_status.")
    var exemptPaths: [String] = []

    @OptionGroup var bodyOptions: AuthenticatedBodyOptions

    /// The largest request body.
    var maxBodySize: Int { bodyOptions.maxBodySize }

    @OptionGroup var spoolOptions: SpoolOptions

    @OptionGroup var metricsOptions: MetricsOptions

    @OptionGroup var configOptions: ConfigOptions

    @OptionGroup var tracingOptions: TracingOptions

    @OptionGroup(title: "Limits and deadlines")
    var limits: ServerLimitOptions

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
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

        let (authenticator, keysDescription, developmentIdentity) = try authentication.authenticator(
            settings: settings, logger: logger)

        let spool = try spoolOptions.makeSpool()

        var middlewares: [any Middleware] = []
        if authentication.signResponses {
            middlewares.append(
                MAuthResponseSigningMiddleware(
                    signer: try authentication.responseSigner(developmentIdentity, settings: settings), spool: spool))
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
