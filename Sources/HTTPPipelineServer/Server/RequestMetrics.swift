import HTTPPipeline
import Locking
import Metrics

/// The server's count of requests by status and protocol, and its latency timer by protocol,
/// reported to swift-metrics: `http_server_requests_total` and
/// `http_server_request_duration_seconds`, each with the dimension `protocol` (`HTTP/1.1`, `HTTP/2`);
/// the counter also with `status`.
///
/// A counter is made the first time its status is seen and kept, so a request costs a lookup
/// rather than a trip through the metrics factory.
final class RequestMetrics: Sendable {
    private struct Key: Hashable {
        let status: Int
        let version: HTTPProtocolVersion
    }

    private let factory: any MetricsFactory
    private let counters = Locked<[Key: Counter]>([:])
    private let http1Duration: Timer
    private let http2Duration: Timer

    init(factory: any MetricsFactory) {
        self.factory = factory
        http1Duration = Self.timer(for: .http1, factory: factory)
        http2Duration = Self.timer(for: .http2, factory: factory)
    }

    private static func timer(for version: HTTPProtocolVersion, factory: any MetricsFactory) -> Timer {
        Timer(
            label: "http_server_request_duration_seconds", dimensions: [("protocol", version.description)],
            factory: factory)
    }

    /// Counts a request answered with `status` over `version` that took `duration`.
    func record(status: Int, version: HTTPProtocolVersion, duration: Duration) {
        count(status: status, version: version)
        (version == .http2 ? http2Duration : http1Duration).record(duration: duration)
    }

    /// Counts a request answered with `status` over `version` that was never timed: one the
    /// connection refused before it reached the application.
    func count(status: Int, version: HTTPProtocolVersion) {
        let key = Key(status: status, version: version)
        let counter = counters.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = Counter(
                label: "http_server_requests_total",
                dimensions: [("status", String(status)), ("protocol", version.description)], factory: factory)
            counters[key] = counter
            return counter
        }
        counter.increment()
    }
}
