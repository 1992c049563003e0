import ArgumentParser
import AsyncHTTPClient
import Foundation
import HTTPPipeline
import HTTPPipelineServer
import Logging
import MAuth
import MAuthProxy
import NIOCore
import NIOPosix
import NIOSSL

struct ProxyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy",
        abstract: "Sign every request and forward it to a MAuth-protected service (a signing reverse proxy).",
        discussion: """
            Call a MAuth-protected service from tools that cannot sign: point them at the proxy. The identity \
            comes from the environment like `mauth request`'s, else from .mauth/. A request's path and query \
            are appended to its upstream's URL. Stops gracefully on SIGTERM or SIGINT.
            """
    )

    @Option(help: "Where every request goes, unless a --route matches first: an http:// or https:// URL.")
    var upstream: String?

    @Option(
        name: .customLong("route"),
        help: ArgumentHelp(
            "Send paths under PREFIX to URL instead, as PREFIX=URL; repeatable; the longest prefix wins.",
            valueName: "prefix=url"))
    var routes: [String] = []

    @Option(help: "The cleartext port (HTTP/1.1 and HTTP/2 with prior knowledge); 0 picks a free port.")
    var port = 8081

    @OptionGroup var listener: ListenerOptions

    @Option(help: "v1, v2 or v1,v2 (default: MAUTH_SIGN_VERSIONS, else v1).")
    var signVersions: String?

    @Flag(
        help:
            "Require a valid MAuth signature on every upstream response; each is then read to its end (into --spool-dir past 1 MiB) before it is passed on."
    )
    var authenticateResponses = false

    @Option(
        help:
            "With --authenticate-responses: a directory of <app_uuid>.pub files (default: MAUTH_URL's service, else .mauth)."
    )
    var keysDir: String?

    @Option(
        help:
            "The largest request body forwarded, and the largest authenticated response, in bytes; bodies past 1 MiB wait in --spool-dir."
    )
    var maxBodySize = SigningProxy.defaultMaxBodySize

    @OptionGroup var spoolOptions: SpoolOptions

    @OptionGroup var metricsOptions: MetricsOptions

    @OptionGroup var configOptions: ConfigOptions

    @OptionGroup var tracingOptions: TracingOptions

    @OptionGroup var upstreamOptions: UpstreamOptions

    @Option(
        name: .customLong("allow-host"),
        help: ArgumentHelp(
            "Also answer requests whose Host is NAME (besides localhost, 127.0.0.1, ::1 and --host); repeatable.",
            valueName: "name"))
    var allowedHosts: [String] = []

    @Option(
        name: .customLong("allow-origin"),
        help: ArgumentHelp(
            "Also sign requests sent by pages of ORIGIN, such as http://localhost:3000 (besides the proxy's own); repeatable.",
            valueName: "origin"))
    var allowedOrigins: [String] = []

    @OptionGroup(title: "Limits and deadlines")
    var limits: ServerLimitOptions

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard upstream != nil || !routes.isEmpty else {
            throw ValidationError("give --upstream URL, or at least one --route PREFIX=URL")
        }
        guard maxBodySize > 0 else { throw ValidationError("--max-body-size must be positive") }
        if keysDir != nil, !authenticateResponses {
            throw ValidationError("--keys-dir goes with --authenticate-responses")
        }
        for origin in allowedOrigins where !(origin.hasPrefix("http://") || origin.hasPrefix("https://")) {
            throw ValidationError("--allow-origin takes an origin such as http://localhost:3000, not '\(origin)'")
        }
        _ = try proxyRoutes()
    }

    /// `--route` in order, then `--upstream` as the route for `/`.
    private func proxyRoutes() throws -> [ProxyRoute] {
        do {
            var parsed: [ProxyRoute] = []
            for route in routes { parsed.append(try ProxyRoute(argument: route)) }
            if let upstream { parsed.append(try ProxyRoute(prefix: "/", upstream: upstream)) }
            return parsed
        } catch {
            throw ValidationError(error.message)
        }
    }

    func run() async throws {
        let (logger, serverLogger) = listener.forwardingLoggers(label: "mauth.proxy")
        listener.applyIOThreads()
        let metrics = metricsOptions.bootstrap(logger: logger)
        let tracing = try tracingOptions.bootstrap(serviceName: "mauth-proxy")

        let configuration = try await configOptions.load()
        let signer = try SigningIdentity.signer(configuration, signVersions: signVersions)
        let upstreamClient = upstreamOptions.makeClient()
        do {
            let proxy = try SigningProxy(
                routes: try proxyRoutes(),
                signer: signer,
                hostPolicy: hostPolicy,
                upstreamClient: upstreamClient,
                responseAuthenticator: authenticateResponses
                    ? try SigningIdentity.responseAuthenticator(
                        keysDir: keysDir, configuration: configuration, signer: signer,
                        httpClient: upstreamClient.httpClient)
                    : nil,
                maxBodySize: maxBodySize,
                logger: logger,
                spool: try spoolOptions.makeSpool()
            )
            var serverConfiguration = listener.serverConfiguration(port: port, maxBodySize: maxBodySize)
            limits.apply(to: &serverConfiguration)
            let server = HTTPServer(
                configuration: serverConfiguration, handler: proxy, logger: serverLogger,
                metricsFactory: metrics?.factory, tracer: tracing?.tracer)
            try await server.runAsCommand(
                logger: serverLogger, metrics: metrics, alongside: tracing.map { [$0.exporter] } ?? []
            ) { ports, metricsURL in
                printBanner(ports: ports, signer: signer, routes: proxy.routes, metricsURL: metricsURL)
            }
            try await upstreamClient.shutdown()
        } catch {
            try? await upstreamClient.shutdown()
            throw error
        }
    }

    /// The loopback names, the address the proxy listens on and `--allow-host`; the proxy's own
    /// origin and `--allow-origin`.
    private var hostPolicy: ProxyHostPolicy {
        let listenAddress = ["0.0.0.0", "::"].contains(listener.host) ? [] : [listener.host]
        return ProxyHostPolicy(
            allowedHosts: ProxyHostPolicy.loopback.allowedHosts.union(listenAddress + allowedHosts),
            allowedOrigins: allowedOrigins)
    }

    private func printBanner(
        ports: HTTPServer.ListeningPorts, signer: MAuthSigner, routes: [ProxyRoute], metricsURL: String?
    ) {
        let base = "http://\(urlHost(listener.host)):\(ports.cleartext)"
        var lines = ["mauth proxy: listening on \(base) (HTTP/1.1 and HTTP/2 prior knowledge)"]
        if let tls = ports.tls {
            lines.append(
                "mauth proxy: listening on https://\(urlHost(listener.host)):\(tls) (TLS, ALPN h2 and http/1.1)")
        }
        if let metricsURL { lines.append("mauth proxy: metrics on \(metricsURL)") }
        let versions = signer.versions.map(\.description).joined(separator: ",")
        lines.append("mauth proxy: signing as \(signer.appUUID) (\(versions))")
        if !["127.0.0.1", "::1", "localhost"].contains(listener.host) {
            lines.append(
                "mauth proxy: warning: on \(listener.host), anyone who can reach this port sends requests signed as \(signer.appUUID)"
            )
        }
        for route in routes {
            lines.append("mauth proxy: \(route.prefix) -> \(route.upstream)")
        }
        lines.append("Try: curl \(base)/")
        Terminal.writeLine(lines.joined(separator: "\n"))
    }
}
