import HTTPPipelineServer
import Logging
import ServiceLifecycle
import UnixSignals

extension HTTPServer {
    /// Serves until SIGTERM or SIGINT, then shuts down gracefully, with the metrics endpoint and
    /// the `alongside` services (a span exporter) when there are any; `ready` is called with the
    /// ports and the metrics endpoint's URL once both listen. A server that cannot start ends the
    /// command with its one-line reason.
    func runAsCommand(
        logger: Logger, metrics: MetricsEndpoint? = nil, alongside: [any Service] = [],
        ready: (ListeningPorts, _ metricsURL: String?) -> Void
    ) async throws {
        // Log lines still queued go out before whatever the command prints last.
        defer { BufferedStandardError.shared.flush() }
        var services: [any Service] = [self]
        if let metrics { services.append(metrics.server) }
        services += alongside
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        async let running: Void = group.run()
        let ports: ListeningPorts
        var metricsURL: String?
        do {
            ports = try await listeningPorts()
            if let metrics {
                let port = try await metrics.server.listeningPorts().cleartext
                metricsURL = "http://\(urlHost(metrics.host)):\(port)/metrics"
            }
        } catch let error as HTTPServerError {
            throw CommandFailure(error.message)
        }
        ready(ports, metricsURL)
        try await running
    }
}

/// `host` as it stands in a URL: an IPv6 address in brackets.
func urlHost(_ host: String) -> String {
    host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
}
