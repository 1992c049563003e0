import ArgumentParser
import HTTPPipeline
import HTTPPipelineServer
import HTTPTypes
import Logging
import MAuth
import MAuthMiddleware
import MAuthProxy

struct GateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gate",
        abstract: "Authenticate every request with MAuth, then forward it to a service written in any language.",
        discussion: """
            Put the gate in front of a service: it authenticates each request that is not exempt exactly as \
            `mauth serve` does, then forwards it unchanged with the caller's app UUID and protocol version in \
            identity header fields, which it removes from every incoming request. With no key options, callers' \
            public keys come from .mauth/, as for `mauth serve`. With --auth-request-path, it also answers \
            nginx's auth_request subrequests, which carry no body: requests with a body go through the gate \
            itself. Stops gracefully on SIGTERM or SIGINT.
            """
    )

    @Option(help: "The service every request goes to: an http:// or https:// URL.")
    var upstream: String

    @Option(help: "The cleartext port (HTTP/1.1 and HTTP/2 with prior knowledge); 0 picks a free port.")
    var port = 8082

    @OptionGroup var listener: ListenerOptions

    @OptionGroup var authentication: AuthenticationOptions

    @Option(name: .customLong("exempt"), help: "A path that skips authentication; repeatable. Default: none.")
    var exemptPaths: [String] = []

    @Option(help: "The header field that carries the caller's app UUID to the service.")
    var identityHeader = AuthenticatingProxy.IdentityHeaders.standard.appUUID.rawName

    @Option(help: "The header field that carries the protocol version (v1 or v2) to the service.")
    var versionHeader = AuthenticatingProxy.IdentityHeaders.standard.protocolVersion.rawName

    @Option(
        help:
            "Answer nginx's auth_request subrequests at this path (such as /_mauth): 204 with the identity fields, or 401."
    )
    var authRequestPath: String?

    @OptionGroup var bodyOptions: AuthenticatedBodyOptions

    /// The largest request body.
    var maxBodySize: Int { bodyOptions.maxBodySize }

    @OptionGroup var upstreamOptions: UpstreamOptions

    @OptionGroup var spoolOptions: SpoolOptions

    @OptionGroup var metricsOptions: MetricsOptions

    @OptionGroup var configOptions: ConfigOptions

    @OptionGroup var tracingOptions: TracingOptions

    @OptionGroup(title: "Limits and deadlines")
    var limits: ServerLimitOptions

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        for path in exemptPaths + (authRequestPath.map { [$0] } ?? []) where !path.hasPrefix("/") {
            throw ValidationError("paths start with '/', not '\(path)'")
        }
        _ = try identityHeaders()
        do {
            _ = try ProxyRoute(prefix: "/", upstream: upstream)
        } catch {
            throw ValidationError(error.message)
        }
    }

    private func identityHeaders() throws -> AuthenticatingProxy.IdentityHeaders {
        guard let appUUID = HTTPField.Name(identityHeader), let version = HTTPField.Name(versionHeader),
            appUUID != version
        else {
            throw ValidationError("--identity-header and --version-header are two different header field names")
        }
        return AuthenticatingProxy.IdentityHeaders(appUUID: appUUID, protocolVersion: version)
    }

    func run() async throws {
        let (logger, serverLogger) = listener.forwardingLoggers(label: "mauth.gate")
        listener.applyIOThreads()
        let metrics = metricsOptions.bootstrap(logger: logger)
        let tracing = try tracingOptions.bootstrap(serviceName: "mauth-gate")
        let settings = try await configOptions.load()
        let (authenticator, keysDescription, developmentIdentity) = try authentication.authenticator(
            settings: settings, logger: logger)
        let spool = try spoolOptions.makeSpool()
        let upstreamClient = upstreamOptions.makeClient()
        do {
            let gate = try AuthenticatingProxy(
                upstream: upstream,
                gate: MAuthGate(
                    authenticator: authenticator, exemptPaths: ExemptPaths(exemptPaths), maxBodySize: maxBodySize,
                    spool: spool),
                identityHeaders: try identityHeaders(),
                authRequestPath: authRequestPath,
                upstreamClient: upstreamClient,
                logger: logger
            )
            var middlewares: [any Middleware] = []
            var responseSigner: MAuthSigner?
            if authentication.signResponses {
                let signer = try authentication.responseSigner(developmentIdentity, settings: settings)
                middlewares.append(MAuthResponseSigningMiddleware(signer: signer, spool: spool))
                responseSigner = signer
            }
            var configuration = listener.serverConfiguration(port: port, maxBodySize: maxBodySize)
            limits.apply(to: &configuration)
            let server = HTTPServer(
                configuration: configuration, handler: Pipeline(middlewares: middlewares, handler: gate),
                logger: serverLogger, metricsFactory: metrics?.factory, tracer: tracing?.tracer)
            try await server.runAsCommand(
                logger: serverLogger, metrics: metrics, alongside: tracing.map { [$0.exporter] } ?? []
            ) { ports, metricsURL in
                printBanner(
                    ports: ports, keys: keysDescription, development: developmentIdentity?.files,
                    responseSigner: responseSigner, metricsURL: metricsURL)
            }
            try await upstreamClient.shutdown()
        } catch {
            try? await upstreamClient.shutdown()
            throw error
        }
    }

    private func printBanner(
        ports: HTTPServer.ListeningPorts, keys: String, development: DevelopmentIdentityFiles?,
        responseSigner: MAuthSigner?, metricsURL: String?
    ) {
        let base = "http://\(urlHost(listener.host)):\(ports.cleartext)"
        var lines = ["mauth gate: listening on \(base) (HTTP/1.1 and HTTP/2 prior knowledge)"]
        if let tls = ports.tls {
            lines.append(
                "mauth gate: listening on https://\(urlHost(listener.host)):\(tls) (TLS, ALPN h2 and http/1.1)")
        }
        if let metricsURL { lines.append("mauth gate: metrics on \(metricsURL)") }
        lines.append("mauth gate: public keys from \(keys)")
        lines.append("mauth gate: forwarding to \(upstream) with \(identityHeader) and \(versionHeader)")
        if !exemptPaths.isEmpty {
            lines.append("mauth gate: exempt from authentication: \(exemptPaths.joined(separator: ", "))")
        }
        if let authRequestPath {
            lines.append("mauth gate: nginx auth_request answered at \(base)\(authRequestPath)")
        }
        if let responseSigner { lines.append("mauth gate: signing responses as \(responseSigner.appUUID)") }
        if development != nil {
            lines.append(
                "Send a signed request, from this directory: \(CommandLine.arguments.first ?? "mauth") request GET \(base)/"
            )
        }
        Terminal.writeLine(lines.joined(separator: "\n"))
    }
}
