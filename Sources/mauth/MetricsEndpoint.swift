import HTTPPipeline
import HTTPPipelineServer
import HTTPTypes
import Logging
import Metrics
import NIOCore
import Prometheus

/// The server that answers `GET /metrics` with every metric of the process, in the Prometheus text
/// format.
struct MetricsEndpoint {
    /// The backend every metric of the process reports to.
    let factory: any MetricsFactory
    let server: HTTPServer
    /// The address the server listens on.
    let host: String

    init(
        registry: PrometheusCollectorRegistry, factory: PrometheusMetricsFactory, host: String, port: Int,
        logger: Logger
    ) {
        self.factory = factory
        self.host = host
        let configuration = HTTPServerConfiguration(host: host, port: port, maxBodySize: 1024, maxConnections: 64)
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .warning)
        server = HTTPServer(configuration: configuration, handler: Exposition(registry: registry), logger: quiet)
    }

    /// Answers `/metrics`.
    private struct Exposition: Handler {
        let registry: PrometheusCollectorRegistry

        func handle(_ request: Request, context: RequestContext) async throws -> Response {
            guard request.path == "/metrics" else { throw HTTPError(.notFound) }
            guard request.head.method == .get || request.head.method == .head else {
                throw HTTPError(.methodNotAllowed, headerFields: [.allow: "GET, HEAD"])
            }
            var response = Response(status: .ok, body: .init(buffer: ByteBuffer(bytes: registry.emitToBuffer())))
            response.head.headerFields[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return response
        }
    }
}
