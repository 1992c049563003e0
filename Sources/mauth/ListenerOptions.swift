import ArgumentParser
import HTTPPipelineServer
import Logging
import NIOCore

/// Where and how a server command (`serve`, `proxy`) listens and logs; the cleartext port, whose
/// default differs, is each command's own.
struct ListenerOptions: ParsableArguments {
    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "A TLS port (ALPN h2 and http/1.1); needs --tls-cert and --tls-key.")
    var tlsPort: Int?

    @Option(help: "PEM certificate chain for the TLS port.")
    var tlsCert: String?

    @Option(help: "PEM private key for the TLS port.")
    var tlsKey: String?

    @Option(help: "trace, debug, info (one line per request), notice, warning, error or critical.")
    var logLevel = "info"

    @Option(help: "Event-loop threads for network I/O; one per core the process may run on by default.")
    var ioThreads: Int?

    func validate() throws {
        if tlsPort != nil || tlsCert != nil || tlsKey != nil {
            guard tlsPort != nil, tlsCert != nil, tlsKey != nil else {
                throw ValidationError("--tls-port, --tls-cert and --tls-key go together")
            }
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        if let ioThreads, ioThreads < 1 { throw ValidationError("--io-threads must be at least 1") }
    }

    /// The log level asked for.
    var level: Logger.Level { Logger.Level(rawValue: logLevel) ?? .info }

    /// Bootstraps logging for a forwarding command (`proxy`, `gate`), which writes its own line
    /// per request with the upstream's status and time, and returns its logger and the server's:
    /// at `info`, the server's access line would repeat the command's, so the server logs from
    /// `notice`.
    func forwardingLoggers(label: String) -> (command: Logger, server: Logger) {
        let logger = ServeCommand.bootstrapLogging(level: level, label: label)
        var serverLogger = logger
        serverLogger.logLevel = level == .info ? .notice : level
        return (logger, serverLogger)
    }

    /// Sets the number of event-loop threads, before the first event loop is made: the number asked
    /// for, else one per core the process may run on.
    func applyIOThreads() {
        if let ioThreads {
            NIOSingletons.groupLoopCountSuggestion = ioThreads
        } else {
            UsableCores.sizeSharedEventLoopGroup()
        }
    }

    /// The server's configuration on `port`, with the TLS port when one was given.
    func serverConfiguration(port: Int, maxBodySize: Int) -> HTTPServerConfiguration {
        var configuration = HTTPServerConfiguration(host: host, port: port, maxBodySize: maxBodySize)
        if let tlsPort, let tlsCert, let tlsKey {
            configuration.tls = .init(port: tlsPort, certificateChainFile: tlsCert, privateKeyFile: tlsKey)
        }
        return configuration
    }
}
