import HTTPPipeline
import HTTPTypes
import Logging
import NIOCore
import NIOHTTPTypes
import Tracing

/// Serves one request on a connection or stream: reads the head's body on demand, runs the
/// pipeline, writes the response, and logs the access line.
struct RequestResponder {
    let pipeline: Pipeline
    let configuration: HTTPServerConfiguration
    let logger: Logger
    /// Where each request is counted and timed; `nil` when the server reports no metrics.
    let metrics: RequestMetrics?
    /// Every response's `Date`.
    let responseDate = ResponseDate()
    /// Traces each request, in its caller's trace; `nil` when the server traces nothing.
    var tracer: (any Tracer)? = nil

    struct Connection {
        let remoteAddress: SocketAddress?
        let httpVersion: HTTPProtocolVersion
        let isSecure: Bool
        /// The access log's metadata that is the same for every request of the connection,
        /// rendered once.
        let accessLogMetadata: Logger.Metadata

        init(remoteAddress: SocketAddress?, httpVersion: HTTPProtocolVersion, isSecure: Bool) {
            self.remoteAddress = remoteAddress
            self.httpVersion = httpVersion
            self.isSecure = isSecure
            accessLogMetadata = [
                "http.protocol": "\(httpVersion)",
                "http.remote": "\(remoteAddress?.description ?? "-")",
            ]
        }
    }

    /// How serving a request left its connection or stream.
    struct Outcome {
        /// The whole request body has been read.
        var bodyComplete: Bool
        /// A read of the body, started by the handler, is still under way: nobody else may read
        /// from the connection, which can only be closed.
        var bodyReadInFlight: Bool
        /// The whole response was written.
        var responseSent: Bool
    }

    /// Answers `head` and says what that left of the connection.
    ///
    /// What the request's HTTP/1 version asks of the connection (keep-alive, HTTP/1.0 framing) is
    /// ``HTTP1ConnectionHandler``'s to apply; the outcome says what serving the request itself
    /// leaves.
    func respond(
        to head: HTTPRequest,
        reader: InboundRequestReader,
        writer: ChannelResponseWriter,
        connection: Connection
    ) async -> Outcome {
        let start = ContinuousClock.now
        let expectsContinue = head.headerFields[.expect]?.lowercased() == "100-continue"
        var sendContinue: (@Sendable () async throws -> Void)?
        if expectsContinue {
            sendContinue = { @Sendable in try await writer.write(.head(HTTPResponse(status: .continue))) }
        }
        let body = StreamedRequestBody(
            reader: reader,
            limit: configuration.maxBodySize,
            deadline: StreamedRequestBody.Deadline(configuration),
            sendContinue: sendContinue
        )
        var context = RequestContext(
            logger: logger,
            remoteAddress: connection.remoteAddress,
            httpVersion: connection.httpVersion,
            isSecure: connection.isSecure
        )
        context.logger[metadataKey: "http.method"] = .string(head.method.rawValue)
        context.logger[metadataKey: "http.target"] = .string(head.path ?? "")

        let response: Response
        var span: (any Span)?
        defer { span?.end() }
        if let refusal = Self.refusal(of: head) {
            response = refusal
        } else if connection.httpVersion == .http2, Self.headSize(head) > configuration.maxHeaderSize {
            response = HTTPError(.requestHeaderFieldsTooLarge, message: "The request head is too large.").response
        } else if let declared = head.headerFields[.contentLength].flatMap(Int.init),
            declared > configuration.maxBodySize
        {
            response = HTTPError.contentTooLarge(limit: configuration.maxBodySize).response
        } else if let tracer {
            let requestSpan = Self.startSpan(for: head, tracer: tracer)
            span = requestSpan
            response = await withTracer(tracer) {
                await ServiceContext.withValue(requestSpan.context) {
                    await pipeline.respond(to: Request(head: head, body: RequestBody(source: body)), context: context)
                }
            }
        } else {
            response = await pipeline.respond(
                to: Request(head: head, body: RequestBody(source: body)), context: context)
        }

        let bodyIdle = body.handlerReturned()
        let isHTTP1 = connection.httpVersion == .http1
        var responseHead = response.head
        if responseHead.headerFields[.date] == nil {
            responseHead.headerFields[.date] = responseDate.current()
        }
        let bodylessStatus = [204, 304].contains(responseHead.status.code)
        if let buffer = response.body.buffer, responseHead.headerFields[.contentLength] == nil, !bodylessStatus {
            responseHead.headerFields[.contentLength] = String(buffer.readableBytes)
        }
        let restRefused =
            body.timedOut || (!body.isComplete && (body.withheldContinue || response.head.status == .contentTooLarge))
        // The rest of the request is refused, or its body ran out of time or is still being read
        // by the handler: the connection can carry no other request.
        let askedToBeLast = isHTTP1 && (!bodyIdle || restRefused)
        if askedToBeLast {
            // How a response asks to be its connection's last; HTTP1ConnectionStateMachine decides.
            responseHead.headerFields[.connection] = "close"
        }
        var responseSent = false
        do {
            if let buffer = response.body.buffer {
                // A body in memory goes out with its head in one write, so one hop to the event
                // loop and one flush.
                var parts: [HTTPResponsePart] = [.head(responseHead)]
                if head.method != .head, buffer.readableBytes > 0 { parts.append(.body(buffer)) }
                parts.append(.end(nil))
                try await writer.write(parts)
            } else {
                try await writer.write(.head(responseHead))
                if head.method != .head {
                    try await response.body.write(to: OutboundBodyWriter(writer: writer))
                }
                try await writer.write(.end(nil))
            }
            responseSent = true
        } catch {
            context.logger.debug("Could not send the response", metadata: ["error": "\(error)"])
        }
        logAccess(head, status: responseHead.status, start: start, connection: connection)
        if let span {
            span.attributes["http.response.status_code"] = responseHead.status.code
            if responseHead.status.code >= 500 { span.setStatus(SpanStatus(code: .error)) }
        }
        // The rest of a body the handler left unread is read and dropped, up to a point, so that
        // the HTTP/1.1 connection can carry another request or the HTTP/2 stream end cleanly.
        if bodyIdle, !body.isComplete, !isHTTP1 || (responseSent && !askedToBeLast) {
            await body.discardRest(maximum: ServerTuning.maximumDiscardedBody)
        }
        return Outcome(
            bodyComplete: bodyIdle && body.isComplete, bodyReadInFlight: !bodyIdle, responseSent: responseSent)
    }

    private func logAccess(
        _ head: HTTPRequest, status: HTTPResponse.Status, start: ContinuousClock.Instant, connection: Connection
    ) {
        let loggable = logger.logLevel <= .info
        guard loggable || metrics != nil else { return }
        let elapsed = start.duration(to: .now)
        metrics?.record(status: status.code, version: connection.httpVersion, duration: elapsed)
        guard loggable else { return }
        let microseconds = elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
        var metadata = connection.accessLogMetadata
        metadata["http.duration_ms"] = .string(Self.milliseconds(microseconds: microseconds))
        logger.info("\(head.method.rawValue) \(head.path ?? "") \(status.code)", metadata: metadata)
    }

    /// Logs and counts an answer the HTTP/1.1 connection gave itself to a request it could not
    /// parse or refused before the application (400, 431), in the access log's form with `-` for
    /// the method and target it does not have.
    func logConnectionAnswer(status: Int, reason: String, connection: Connection) {
        metrics?.count(status: status, version: connection.httpVersion)
        guard logger.logLevel <= .info else { return }
        var metadata = connection.accessLogMetadata
        metadata["http.error"] = .string(reason)
        logger.info("- - \(status)", metadata: metadata)
    }

    /// A server span for `head`, in the trace its `traceparent` (or whatever `tracer` propagates)
    /// names.
    private static func startSpan(for head: HTTPRequest, tracer: any Tracer) -> any Span {
        var callerContext = ServiceContext.topLevel
        tracer.extract(head.headerFields, into: &callerContext, using: HTTPFieldsExtractor())
        let span: any Span = tracer.startSpan(head.method.rawValue, context: callerContext, ofKind: .server)
        span.attributes["http.request.method"] = head.method.rawValue
        span.attributes["url.path"] = head.path ?? ""
        return span
    }

    /// `microseconds` as milliseconds with three decimals, such as `0.042`, written without
    /// floating point (which costs more than the rest of the access line).
    static func milliseconds(microseconds: Int64) -> String {
        let fraction = String(microseconds % 1000)
        return String(microseconds / 1000) + "." + String(repeating: "0", count: 3 - fraction.utf8.count) + fraction
    }

    /// The methods a refused CONNECT names in its `Allow` field.
    private static let allowedMethods = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"

    /// The answer to a request no application should see: a CONNECT (this server is no proxy),
    /// a target in asterisk form, which only OPTIONS may use (RFC 9112 §3.2.4), and `OPTIONS *`
    /// itself, which asks about the server rather than a resource and needs no handler.
    static func refusal(of head: HTTPRequest) -> Response? {
        if head.method == .connect {
            // No body: NIO's HTTP/1 encoder sends none in a response to CONNECT, and the close
            // that follows ends this one.
            return Response(status: .methodNotAllowed, headerFields: [.allow: allowedMethods])
        }
        guard head.path == "*" else { return nil }
        if head.method == .options {
            return Response(status: .noContent, headerFields: [.allow: allowedMethods])
        }
        return HTTPError(.badRequest, message: "Only OPTIONS may have the target '*'.").response
    }

    /// The size of an HTTP/2 request head as NIO's HTTP/1 parser measures one, which keeps the
    /// limit for HTTP/1.1: the target, the authority (HTTP/1.1's `Host`), and each field's name and
    /// value. HTTP/2 decodes a header block whole or tears down the connection, so the limit that
    /// answers 431 is applied here, to the decoded head.
    static func headSize(_ head: HTTPRequest) -> Int {
        let target = (head.path?.utf8.count ?? 0) + (head.authority.map { 4 + $0.utf8.count } ?? 0)
        return head.headerFields.reduce(target) { $0 + $1.name.rawName.utf8.count + $1.value.utf8.count }
    }
}
