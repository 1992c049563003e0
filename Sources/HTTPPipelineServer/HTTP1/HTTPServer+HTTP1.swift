import Foundation
import HTTPPipeline
import HTTPTypes
import Logging
package import NIOCore
import NIOExtras
import NIOHTTP1
import NIOHTTP2
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOHTTPTypesHTTP2
import NIOPosix
import NIOSSL
import NIOTLS

/// An HTTP/1.1 connection: its channel handlers, and the task that serves its requests one after
/// another.
extension HTTPServer {
    /// The handlers of an HTTP/1.1 connection accepted at `openedAt`, whose read deadlines
    /// `watchdog` keeps, from the bytes to the request parts.
    static func configureHTTP1(
        _ channel: any Channel, configuration: HTTPServerConfiguration, responder: RequestResponder, secure: Bool,
        watchdog: ReadWatchdog, openedAt: ContinuousClock.Instant
    ) throws -> HTTP1Connection {
        let pipeline = channel.pipeline.syncOperations
        try pipeline.addHandler(FlushCoalescingHandler())
        let connection = RequestResponder.Connection(
            remoteAddress: channel.remoteAddress, httpVersion: .http1, isSecure: secure)
        let rules = try addHTTP1Rules(
            channel, configuration: configuration, watchdog: watchdog, openedAt: openedAt
        ) { status, reason in
            responder.logConnectionAnswer(status: Int(status.code), reason: reason, connection: connection)
        }
        try channel.syncOptions?.setOption(.maxMessagesPerRead, value: UInt(ServerTuning.http1ReadsPerTurn))
        let encoder = try pipeline.handler(type: HTTPResponseEncoder.self)
        try pipeline.addHandler(rules.makeGate(), position: .before(encoder))
        try pipeline.addHandler(HTTP1ToHTTPTypesCodec(secure: secure))
        return (try HTTP1RequestPartsHandler.add(to: channel), connection)
    }

    /// The handlers that apply an HTTP/1.1 connection's rules, from the bytes to the request parts
    /// handed on, without the task that serves the requests: the connection's tests and its fuzz
    /// target answer the requests themselves.
    package static func configureHTTP1Rules(_ channel: any Channel, configuration: HTTPServerConfiguration) throws {
        let watchdog = ReadWatchdog.watching(channel, configuration: configuration)
        _ = try addHTTP1Rules(channel, configuration: configuration, watchdog: watchdog, openedAt: watchdog.now)
    }

    /// NIO's parser and encoder, and `HTTP1ConnectionHandler` after them; returns the handler,
    /// whose gate goes before the parser.
    private static func addHTTP1Rules(
        _ channel: any Channel, configuration: HTTPServerConfiguration, watchdog: ReadWatchdog,
        openedAt: ContinuousClock.Instant, answered: @escaping (HTTPResponseStatus, String) -> Void = { _, _ in }
    ) throws -> HTTP1ConnectionHandler {
        let rules = HTTP1ConnectionHandler(
            channel: channel,
            maxPipelinedRequests: configuration.maxPipelinedRequests,
            headTimeout: configuration.requestHeadTimeout,
            watchdog: watchdog,
            openedAt: openedAt,
            answered: answered
        )
        // The connection's rules are HTTP1ConnectionHandler's, not NIO's pipelining and error
        // handlers'. Response fields come from swift-http-types, which legalizes every value (no
        // CR, LF or NUL) and validates every name already. The parser itself refuses a head past
        // the limit, before buffering any more of it; the refusal is answered 431.
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderListSize = configuration.maxHeaderSize
        limits.maxHeaderFieldSize = configuration.maxHeaderSize
        let pipeline = channel.pipeline.syncOperations
        try pipeline.configureHTTPServerPipeline(
            withPipeliningAssistance: false, withErrorHandling: false, withOutboundHeaderValidation: false,
            withEncoderConfiguration: HTTPResponseEncoder.Configuration(), withDecoderLimitConfiguration: limits)
        try pipeline.addHandler(rules)
        return rules
    }

    func serveHTTP1(_ http1: HTTP1Connection, channel: any Channel, watchdog: ReadWatchdog) async {
        let (ends, info) = http1
        do {
            try await serveRequests(
                ends, channel: channel,
                reader: InboundRequestReader(
                    ends.inbox, control: ChannelStreamControl(channel: channel), watchdog: watchdog),
                connection: info, onTheLoop: true)
        } catch {
            logger.debug("HTTP/1.1 connection closed", metadata: ["error": "\(error)"])
        }
        channel.close(promise: nil)
        try? await channel.closeFuture.get()
    }

    /// Answers a connection's requests one after another, until it must close.
    ///
    /// The task serving a connection runs on its event loop (`onTheLoop`) until the connection has
    /// pipelined ``ServerTuning/pipelinedRequestsOnTheLoop`` requests in a row; then it moves to the Swift
    /// pool for good. A task that never waits for its socket keeps its loop running tasks, and
    /// the loop polls no socket until no task is left to run: on the loop, a client that
    /// pipelines without pause would keep the loop's other connections waiting.
    private func serveRequests(
        _ ends: HTTP1RequestPartsHandler.Ends, channel: any Channel, reader: InboundRequestReader,
        connection: RequestResponder.Connection, onTheLoop: Bool
    ) async throws {
        var pipelinedInARow = 0
        while let part = try await reader.next(within: configuration.idleTimeout) {
            guard case .head(let head) = part else { continue }
            let outcome = await responder.respond(to: head, reader: reader, writer: ends.writer, connection: connection)
            if outcome.bodyReadInFlight {
                // A task of the handler's still reads the body: the connection cannot be read or
                // reused, only closed.
                return
            }
            if !outcome.responseSent {
                // A response that broke off cannot be finished. It closes at once, with a reset,
                // so that a client reading to the end of the connection (HTTP/1.0) cannot take the
                // part it got for the whole.
                try? await (channel as? any SocketOptionProvider)?
                    .setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
                return
            }
            if !outcome.bodyComplete {
                // The rest of the request (refused with 413, or more than the responder discards)
                // is read and dropped, for a little while only, since its client may stop sending
                // without ending it; closing with it unread would reset the connection under the
                // response. A response that asked to be the last has HTTP1ConnectionHandler close
                // the connection once the request has ended; after any other, the connection
                // carries the next request.
                guard try await drainRestOfRequest(reader) else { return }
            }
            pipelinedInARow = ends.inbox.waitingParts > 0 ? pipelinedInARow + 1 : 0
            if onTheLoop, pipelinedInARow == ServerTuning.pipelinedRequestsOnTheLoop {
                try await withTaskExecutorPreference(globalConcurrentExecutor) {
                    try await serveRequests(
                        ends, channel: channel, reader: reader, connection: connection, onTheLoop: false)
                }
                return
            }
        }
    }

    /// Reads and drops what is left of a request, until it ends, 2 s have passed or 4 MiB have
    /// been dropped; returns whether the request ended.
    func drainRestOfRequest(_ reader: InboundRequestReader) async throws -> Bool {
        let deadline = ContinuousClock.now.advanced(by: ServerTuning.lingerAfterClose)
        var dropped = 0
        while dropped < ServerTuning.maximumDroppedAfterClose {
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .zero, let part = try await reader.next(within: remaining) else { return false }
            switch part {
            case .body(let buffer): dropped += buffer.readableBytes
            case .end: return true
            case .head: return false
            }
        }
        return false
    }
}
