import HTTPPipeline
import HTTPTypes
import Logging

/// One request on its way through a proxy: what its access-log line says.
///
/// The line names the path only; the query, which may carry a token, is written at `debug`.
struct ProxyExchange: Sendable {
    let method: String
    let target: String
    let start: ContinuousClock.Instant
    let logger: Logger
    var upstream: String?
    var upstreamStatus: Int?
    var upstreamHeadTime: Duration?
    /// The caller, once authenticated.
    var appUUID: String?

    init(request: Request, logger: Logger) {
        self.init(method: request.head.method.rawValue, target: request.target, logger: logger)
    }

    init(method: String, target: String, logger: Logger) {
        self.method = method
        self.target = target
        self.start = .now
        self.logger = logger
    }

    /// Logs the line of a response that is already whole, and returns it.
    func finish(_ response: Response) -> Response {
        log(status: response.head.status.code, failure: nil)
        return response
    }

    func log(status: Int, failure: String?) {
        guard logger.logLevel <= .info else { return }
        var metadata: Logger.Metadata = ["http.duration_ms": "\(Self.milliseconds(start.duration(to: .now)))"]
        if let upstream { metadata["proxy.upstream"] = "\(upstream)" }
        if let upstreamStatus { metadata["proxy.upstream_status"] = "\(upstreamStatus)" }
        if let upstreamHeadTime { metadata["proxy.upstream_ms"] = "\(Self.milliseconds(upstreamHeadTime))" }
        if let appUUID { metadata["mauth.app_uuid"] = "\(appUUID)" }
        if let failure { metadata["proxy.error"] = "\(failure)" }
        let shown = logger.logLevel <= .debug ? target[...] : target.prefix { $0 != "?" }
        logger.info("\(method) \(shown) \(status)", metadata: metadata)
    }

    private static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds * 1_000_000 + attoseconds / 1_000_000_000_000) / 1000
    }
}
