import ArgumentParser
import HTTPPipelineServer
import Logging
import Metrics
import Prometheus

/// `--metrics-port` and `--metrics-host`: the metrics of `serve` and `proxy` in the Prometheus
/// text format, on a port of their own.
struct MetricsOptions: ParsableArguments {
    @Option(
        help: """
            Serve metrics in the Prometheus text format at /metrics on this port (0 picks a free one); \
            none unless given.
            """)
    var metricsPort: Int?

    @Option(help: "The address the metrics port listens on.")
    var metricsHost = "127.0.0.1"

    func validate() throws {
        if let metricsPort, !(0...65535).contains(metricsPort) {
            throw ValidationError("--metrics-port must be between 0 and 65535")
        }
    }

    /// With `--metrics-port`, makes swift-prometheus the process's metrics backend and returns the
    /// server that exposes it; `nil` otherwise. Call it before anything that reports metrics is
    /// made, since each metric finds its backend when it is created.
    func bootstrap(logger: Logger) -> MetricsEndpoint? {
        guard let metricsPort else { return nil }
        let registry = PrometheusCollectorRegistry()
        let factory = PrometheusMetricsFactory(registry: registry)
        MetricsSystem.bootstrap(factory)
        return MetricsEndpoint(
            registry: registry, factory: factory, host: metricsHost, port: metricsPort, logger: logger)
    }
}
