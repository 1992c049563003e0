/// The server's tuning constants, each with the reason for its value.
///
/// None of them is a limit a deployment chooses (those are ``HTTPServerConfiguration``'s): they
/// trade memory, fairness and system calls against one another, and were settled by measuring
/// with `scripts/loadtest`, `scripts/hostile` and `scripts/bodies`.
enum ServerTuning {
    // MARK: Accepting

    /// Connections the kernel queues before they are accepted: enough for a burst of clients that
    /// connect at once, while the connection limit still decides how many are served.
    static let listenBacklog = 256

    /// Reads a new connection makes in one event-loop turn before any HTTP/1.1 or HTTP/2 rule
    /// applies: TLS handshakes and HTTP/2 clients send several small records in a row.
    static let readsPerTurn = 16

    // MARK: HTTP/1.1

    /// Reads an HTTP/1.1 connection makes in one turn. A read cycle arrives whole however far it
    /// runs ahead of its responses, so four reads (at most 256 KiB) bound what a client that
    /// pipelines without reading its answers makes the server hold.
    static let http1ReadsPerTurn = 4

    /// The most bytes handed to the HTTP/1.1 parser at once: it parses whatever it is given in one
    /// go, so a larger slice would let one read outrun the read-ahead rules.
    static let parserSliceSize = 16 * 1024

    /// Request parts that may wait for the task serving a connection (a body its handler does not
    /// read yet, say) before the connection stops reading.
    static let waitingRequestParts = 10

    /// Pipelined requests in a row (each already there when the one before it was answered) that a
    /// connection is served on its event loop; past them it moves to the Swift pool, so that one
    /// pipelining client cannot hold the loop from the other connections.
    static let pipelinedRequestsOnTheLoop = 16

    /// How long, in all, a connection that is closing waits for the rest of a request it will not
    /// serve (a refused body, or what follows a head it answered 400 or 431): a client still
    /// sending would otherwise get a reset instead of the answer.
    static let lingerAfterClose = Duration.seconds(2)

    /// How much of such a request is read and dropped before the connection closes anyway.
    static let maximumDroppedAfterClose = 4 * 1024 * 1024

    /// How much of a request body its handler left unread is discarded to keep an HTTP/1.1
    /// connection alive or to end an HTTP/2 stream cleanly; past it the connection closes.
    static let maximumDiscardedBody = 256 * 1024

    // MARK: HTTP/2

    /// The smallest header list size announced to HTTP/2 clients. It is generous because HPACK
    /// counts 32 extra bytes a field and can only reset the connection, while a head that reaches
    /// the server's own check gets a 431.
    static let minimumAnnouncedHeaderListSize = 64 * 1024
}
