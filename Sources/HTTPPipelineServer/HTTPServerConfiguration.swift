/// Where an ``HTTPServer`` listens and the limits it enforces.
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
    /// The largest request head (request line and header fields), in bytes; larger heads answer
    /// 431. 12 KiB by default. Beyond this limit two protocol layers refuse a head outright (the
    /// connection closes instead of a 431): HTTP/1.1 beyond 80 KiB, and HTTP/2 beyond 16 KiB
    /// until the client has acknowledged the server's settings.
    public var maxHeaderSize: Int
    /// The largest request body, in bytes; handlers that read past it answer 413. 32 MiB by default.
    public var maxBodySize: Int
    /// How long a connection may sit without a request in progress before it is closed.
    public var idleTimeout: Duration
    /// How long a new connection has to deliver its first complete request head (or, on TLS,
    /// its handshake and first head).
    public var firstRequestTimeout: Duration
    /// The most HTTP/2 streams a client may have open on one connection.
    public var maxConcurrentHTTP2Streams: Int
    /// How long, during graceful shutdown, an HTTP/2 connection's open streams may run before the
    /// connection is closed anyway.
    public var shutdownGracePeriod: Duration

    /// The shortest of the read deadlines, which sets how often they are checked.
    var shortestDeadline: Duration { min(idleTimeout, firstRequestTimeout) }

    /// Creates a configuration; every limit has a default suited to an API service.
    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        tls: TLS? = nil,
        maxHeaderSize: Int = 12 * 1024,
        maxBodySize: Int = 32 * 1024 * 1024,
        idleTimeout: Duration = .seconds(60),
        firstRequestTimeout: Duration = .seconds(10),
        maxConcurrentHTTP2Streams: Int = 100,
        shutdownGracePeriod: Duration = .seconds(30)
    ) {
        self.host = host
        self.port = port
        self.tls = tls
        self.maxHeaderSize = maxHeaderSize
        self.maxBodySize = maxBodySize
        self.idleTimeout = idleTimeout
        self.firstRequestTimeout = firstRequestTimeout
        self.maxConcurrentHTTP2Streams = maxConcurrentHTTP2Streams
        self.shutdownGracePeriod = shutdownGracePeriod
    }
}
