import HTTPPipelineServer
import Logging
import ServiceLifecycle
import UnixSignals

extension HTTPServer {
    /// Serves until SIGTERM or SIGINT, then shuts down gracefully; `ready` is called with the
    /// ports once the server listens. A server that cannot start ends the command with its
    /// one-line reason.
    func runAsCommand(logger: Logger, ready: (ListeningPorts) -> Void) async throws {
        // Log lines still queued go out before whatever the command prints last.
        defer { BufferedStandardError.shared.flush() }
        let services = ServiceGroup(
            configuration: .init(services: [self], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        async let running: Void = services.run()
        let ports: ListeningPorts
        do {
            ports = try await listeningPorts()
        } catch let error as HTTPServerError {
            throw CommandFailure(error.message)
        }
        ready(ports)
        try await running
    }
}

/// `host` as it stands in a URL: an IPv6 address in brackets.
func urlHost(_ host: String) -> String {
    host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
}
