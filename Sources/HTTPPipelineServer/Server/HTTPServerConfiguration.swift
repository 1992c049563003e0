#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where an ``HTTPServer`` listens and the limits it enforces.
///
/// Every limit and deadline has a default that suits an API service facing clients it does not
/// trust: each bounds what one client can make the server hold (memory, descriptors, time), and
/// each tells the client what happened where a response can still reach it.
public struct HTTPServerConfiguration: Sendable {
    /// A TLS listener: ALPN offers `h2` and `http/1.1`.
    public struct TLS: Sendable {
        /// The port of the TLS listener.
        public var port: Int
        /// A PEM file with the certificate chain, leaf first.
        public var certificateChainFile: String
        /// A PEM file with the certificate's private key.
        public var privateKeyFile: String

        /// Creates a TLS listener configuration.
        public init(port: Int, certificateChainFile: String, privateKeyFile: String) {
            self.port = port
            self.certificateChainFile = certificateChainFile
            self.privateKeyFile = privateKeyFile
        }
    }

    /// The address to listen on; `127.0.0.1` by default.
    public var host: String
    /// The cleartext port, serving HTTP/1.1 and HTTP/2 with prior knowledge; 8080 by default, 0
    /// for any free port.
    public var port: Int
    /// The TLS listener, if any.
    public var tls: TLS?
    /// The largest request head, in bytes, counting its target and the names and values of its
    /// header fields (`Host` or `:authority` included); larger heads answer 431 and, on HTTP/1.1,
    /// close the connection. 12 KiB by default. HTTP/1.1's parser stops reading a head as soon as
    /// it passes the limit; a chunked body's trailer fields count toward the same limit. HTTP/2
    /// refuses a head outright (the connection closes instead of a 431) beyond 16 KiB until the
    /// client has acknowledged the server's settings.
    public var maxHeaderSize: Int
    /// The largest request body, in bytes; handlers that read past it answer 413. 32 MiB by default.
    public var maxBodySize: Int
    /// The most connections served at once, over both listeners; at the limit the server stops
    /// accepting until a connection closes. ``defaultMaxConnections`` by default; a larger value
    /// than the open-file limit leaves room for is lowered to it, with a warning.
    public var maxConnections: Int
    /// The most HTTP/1.1 requests a connection may have waiting for their responses: past it the
    /// server stops reading from that connection until responses have been written. 16 by default.
    /// One read (at most 16 KiB) is parsed whole, so a client pipelining tiny requests may get a
    /// few hundred more parsed before reading stops.
    public var maxPipelinedRequests: Int
    /// How long a connection may sit without a request in progress before it is closed; 60 s by
    /// default.
    public var idleTimeout: Duration
    /// How long a request head may take to arrive once its first byte has (and how long a new
    /// connection has to deliver its first head, TLS handshake included; an HTTP/2 connection, to
    /// agree its protocol, after which only ``idleTimeout`` bounds it); the connection is closed
    /// when it runs out. 10 s by default.
    public var requestHeadTimeout: Duration
    /// How long the server waits, in all, for a request body it is reading; the request then
    /// answers 408. 300 s by default. Only the time spent waiting for the client counts, not the
    /// time the handler spends between reads.
    public var requestBodyTimeout: Duration
    /// The slowest average rate, in bytes per second, at which a request body may arrive once
    /// ``requestBodyRateGracePeriod`` has passed; a slower body answers 408. 1024 by default; 0
    /// turns the check off.
    public var minimumRequestBodyRate: Int
    /// How long the server waits for a body before ``minimumRequestBodyRate`` applies; 5 s by
    /// default.
    public var requestBodyRateGracePeriod: Duration
    /// How long a response may make no progress because the client does not read it; then the
    /// connection (HTTP/1.1) or the stream (HTTP/2, reset with `CANCEL`) is closed. 30 s by
    /// default.
    public var writeTimeout: Duration
    /// The most HTTP/2 streams a client may have open on one connection; 100 by default.
    public var maxConcurrentHTTP2Streams: Int
    /// How long, during graceful shutdown, connections may go on finishing their requests; then
    /// every connection is closed and every handler still running is cancelled. 30 s by default.
    public var shutdownGracePeriod: Duration

    /// The deadlines that the read watchdog enforces, the shortest of which sets how often it
    /// checks.
    var shortestDeadline: Duration {
        min(idleTimeout, requestHeadTimeout, requestBodyTimeout, requestBodyRateGracePeriod, writeTimeout)
    }

    /// Creates a configuration; every limit has a default suited to an API service.
    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        tls: TLS? = nil,
        maxHeaderSize: Int = 12 * 1024,
        maxBodySize: Int = 32 * 1024 * 1024,
        maxConnections: Int = HTTPServerConfiguration.defaultMaxConnections,
        maxPipelinedRequests: Int = 16,
        idleTimeout: Duration = .seconds(60),
        requestHeadTimeout: Duration = .seconds(10),
        requestBodyTimeout: Duration = .seconds(300),
        minimumRequestBodyRate: Int = 1024,
        requestBodyRateGracePeriod: Duration = .seconds(5),
        writeTimeout: Duration = .seconds(30),
        maxConcurrentHTTP2Streams: Int = 100,
        shutdownGracePeriod: Duration = .seconds(30)
    ) {
        self.host = host
        self.port = port
        self.tls = tls
        self.maxHeaderSize = maxHeaderSize
        self.maxBodySize = maxBodySize
        self.maxConnections = maxConnections
        self.maxPipelinedRequests = maxPipelinedRequests
        self.idleTimeout = idleTimeout
        self.requestHeadTimeout = requestHeadTimeout
        self.requestBodyTimeout = requestBodyTimeout
        self.minimumRequestBodyRate = minimumRequestBodyRate
        self.requestBodyRateGracePeriod = requestBodyRateGracePeriod
        self.writeTimeout = writeTimeout
        self.maxConcurrentHTTP2Streams = maxConcurrentHTTP2Streams
        self.shutdownGracePeriod = shutdownGracePeriod
    }

    /// The default connection limit: the process's open-file limit less 128 descriptors kept for
    /// everything else (key files, calls to the MAuth service, logs), at least 16 and at most 16,384.
    public static var defaultMaxConnections: Int {
        min(16_384, connectionsAllowedByOpenFileLimit)
    }

    /// The most connections the process's open-file limit leaves room for. A server never accepts
    /// more: past the limit every accept fails (`EMFILE`), and SwiftNIO retries a failed accept at
    /// once instead of backing off.
    static var connectionsAllowedByOpenFileLimit: Int {
        var limit = rlimit()
        #if canImport(Glibc)
            let resource = Int32(RLIMIT_NOFILE.rawValue)
        #else
            let resource = RLIMIT_NOFILE
        #endif
        guard getrlimit(resource, &limit) == 0 else { return 1024 }
        return max(16, Int(clamping: limit.rlim_cur) - 128)
    }
}
