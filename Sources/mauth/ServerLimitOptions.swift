import ArgumentParser
import HTTPPipelineServer

/// The server limits and deadlines an operator may tune; each defaults to
/// ``HTTPServerConfiguration``'s.
struct ServerLimitOptions: ParsableArguments {
    @Option(help: "The most connections served at once (default: the open-file limit less 128, at most 16384).")
    var maxConnections: Int?

    @Option(help: "The most HTTP/1.1 requests waiting for their responses before reading stops (default: 16).")
    var maxPipelinedRequests: Int?

    @Option(help: ArgumentHelp("Close a connection idle this long, in seconds (default: 60).", valueName: "seconds"))
    var idleTimeout: Double?

    @Option(help: ArgumentHelp("The time a request head may take to arrive (default: 10).", valueName: "seconds"))
    var requestHeadTimeout: Double?

    @Option(
        help: ArgumentHelp("The time a request body may take in all; then 408 (default: 300).", valueName: "seconds"))
    var requestBodyTimeout: Double?

    @Option(
        help: ArgumentHelp(
            "The slowest average body rate after the grace period; then 408; 0 for none (default: 1024).",
            valueName: "bytes-per-second"))
    var minRequestBodyRate: Int?

    @Option(
        help: ArgumentHelp("How long a body may take before the rate applies (default: 5).", valueName: "seconds"))
    var requestBodyRateGracePeriod: Double?

    @Option(
        help: ArgumentHelp(
            "Close a connection (reset an HTTP/2 stream) whose response makes no progress this long (default: 30).",
            valueName: "seconds"))
    var writeTimeout: Double?

    @Option(
        help: ArgumentHelp(
            "On SIGTERM or SIGINT, how long requests may go on before every connection is closed (default: 30).",
            valueName: "seconds"))
    var shutdownGracePeriod: Double?

    func validate() throws {
        for (name, value) in [
            ("--max-connections", maxConnections), ("--max-pipelined-requests", maxPipelinedRequests),
        ]
        where value.map({ $0 < 1 }) ?? false {
            throw ValidationError("\(name) must be at least 1")
        }
        if let minRequestBodyRate, minRequestBodyRate < 0 {
            throw ValidationError("--min-request-body-rate must be 0 or more")
        }
        let durations = [
            ("--idle-timeout", idleTimeout), ("--request-head-timeout", requestHeadTimeout),
            ("--request-body-timeout", requestBodyTimeout),
            ("--request-body-rate-grace-period", requestBodyRateGracePeriod),
            ("--write-timeout", writeTimeout), ("--shutdown-grace-period", shutdownGracePeriod),
        ]
        for (name, value) in durations where value.map({ !($0 > 0 && $0 <= 86_400) }) ?? false {
            throw ValidationError("\(name) must be more than 0 and at most 86400 seconds")
        }
    }

    /// Sets the limits given on the command line.
    func apply(to configuration: inout HTTPServerConfiguration) {
        if let maxConnections { configuration.maxConnections = maxConnections }
        if let maxPipelinedRequests { configuration.maxPipelinedRequests = maxPipelinedRequests }
        if let minRequestBodyRate { configuration.minimumRequestBodyRate = minRequestBodyRate }
        if let idleTimeout { configuration.idleTimeout = .seconds(idleTimeout) }
        if let requestHeadTimeout { configuration.requestHeadTimeout = .seconds(requestHeadTimeout) }
        if let requestBodyTimeout { configuration.requestBodyTimeout = .seconds(requestBodyTimeout) }
        if let requestBodyRateGracePeriod {
            configuration.requestBodyRateGracePeriod = .seconds(requestBodyRateGracePeriod)
        }
        if let writeTimeout { configuration.writeTimeout = .seconds(writeTimeout) }
        if let shutdownGracePeriod { configuration.shutdownGracePeriod = .seconds(shutdownGracePeriod) }
    }
}
