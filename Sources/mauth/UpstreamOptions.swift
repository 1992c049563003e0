import ArgumentParser
import MAuthProxy
import NIOSSL

/// How a forwarding command (`proxy`, `gate`) talks to its upstreams.
struct UpstreamOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "How long a request may wait for a free connection to its upstream (then 503), and how long the upstream may take to start its response and to pause within it (then 504).",
            valueName: "seconds"))
    var upstreamTimeout: Double = 30

    @Option(
        help:
            "The most HTTP/1.1 connections open to one upstream; an HTTPS upstream that offers HTTP/2 is used over multiplexed streams instead."
    )
    var upstreamConnections = 64

    @Flag(help: "Do not verify upstreams' TLS certificates.")
    var insecure = false

    func validate() throws {
        guard upstreamTimeout >= 0.001, upstreamTimeout <= 86400 else {
            throw ValidationError("--upstream-timeout must be between 0.001 and 86400 seconds")
        }
        guard (1...4096).contains(upstreamConnections) else {
            throw ValidationError("--upstream-connections must be between 1 and 4096")
        }
    }

    /// A client to the upstreams; the caller shuts it down.
    func makeClient() -> UpstreamClient {
        var tls: TLSConfiguration?
        if insecure {
            tls = TLSConfiguration.makeClientConfiguration()
            tls?.certificateVerification = .none
        }
        return UpstreamClient(
            timeout: .milliseconds(Int64(upstreamTimeout * 1000)), connectionsPerUpstream: upstreamConnections, tls: tls
        )
    }
}
