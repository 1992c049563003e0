import AsyncHTTPClient
import BodySpool
import Foundation
import HTTPPipeline
import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1

/// The forwarding that ``SigningProxy`` and ``AuthenticatingProxy`` share: the checks on the
/// target, the header fields sent and returned, the call to the upstream, its failures as JSON
/// answers, and its response streamed back.
struct UpstreamForwarder: Sendable {
    let client: UpstreamClient
    let logger: Logger
    /// How failures name the upstream: its URL (the signing proxy, a developer's tool) or words
    /// that do not reveal where it is (the gate, in front of a service).
    let revealsUpstream: Bool

    /// The client of the proxies that were given none. It lives as long as the process; being
    /// nobody else's, it is never shut down.
    static let sharedClient = UpstreamClient()

    /// The upstream timeout.
    var upstreamTimeout: Duration { client.timeout }

    /// The value of `Retry-After` when no connection to the upstream is free.
    static let retryAfterSeconds = 1

    /// The W3C trace context fields, which a traced proxy writes anew rather than forwards.
    static let traceContextFields = ["traceparent", "tracestate"]

    /// 400 for a target that is not a path, that climbs out of its route once decoded, or that
    /// AsyncHTTPClient (for an HTTPS upstream) would not send byte for byte; otherwise the URL to
    /// send it to.
    func url(for request: Request, route: ProxyRoute) -> Result<String, HTTPError> {
        guard request.target.hasPrefix("/") else {
            return .failure(HTTPError(.badRequest, message: "A proxied request's target starts with '/'."))
        }
        if let refusal = ForwardedTarget.refusal(ofPath: request.path) {
            return .failure(HTTPError(.badRequest, message: refusal))
        }
        if client.ownConnectionsEndpoint(of: route) != nil {
            // This package's own connections send the target exactly as given.
            return .success(route.origin + route.basePath + request.target)
        }
        guard let url = ForwardedTarget.exactURL(origin: route.origin, basePath: route.basePath, target: request.target)
        else {
            return .failure(
                HTTPError(.badRequest, message: "The request target cannot be forwarded exactly as it was received."))
        }
        return .success(url)
    }

    /// The request for the upstream: `request`'s method, and its header fields less hop-by-hop
    /// ones, framing, `Host` and the `dropped` names (lower-cased, with `-`, never `_`), plus the
    /// `X-Forwarded-*` fields.
    ///
    /// A dropped name is dropped in any spelling that swaps `-` for `_`: CGI, Rack and WSGI read
    /// `X-MAuth-App_UUID` as `X-MAuth-App-UUID`.
    func outgoingRequest(url: String, for request: Request, context: RequestContext, dropping dropped: Set<String>)
        -> HTTPClientRequest
    {
        var outgoing = HTTPClientRequest(url: url)
        outgoing.method = NIOHTTP1.HTTPMethod(rawValue: request.head.method.rawValue)
        let head = request.head
        var headers = HTTPHeaders()
        headers.reserveCapacity(head.headerFields.count + 4)
        let connectionField = head.headerFields[values: .connection]
        let listed = connectionField.isEmpty ? [] : HopByHop.names(connectionField: connectionField)
        for field in head.headerFields where field.name != .cookie {
            let name = field.name.canonicalName
            guard !HopByHop.standard.contains(name), !HopByHop.requestOnly.contains(name), !listed.contains(name),
                !dropped.contains(name),
                !name.utf8.contains(UInt8(ascii: "_"))
                    || !dropped.contains(name.replacingOccurrences(of: "_", with: "-"))
            else { continue }
            headers.add(name: field.name.rawName, value: field.value)
        }
        // HTTP/2 clients may send each cookie in a field of its own; HTTP/1.1 has one (RFC 9113
        // §8.2.3).
        let cookies = head.headerFields[values: .cookie]
        if !cookies.isEmpty {
            headers.add(name: "Cookie", value: cookies.joined(separator: "; "))
        }
        if let address = context.remoteAddress?.ipAddress {
            let earlier = head.headerFields[values: HopByHop.xForwardedFor]
            headers.replaceOrAdd(name: "X-Forwarded-For", value: (earlier + [address]).joined(separator: ", "))
        }
        headers.replaceOrAdd(name: "X-Forwarded-Proto", value: context.isSecure ? "https" : "http")
        if let authority = head.authority {
            headers.replaceOrAdd(name: "X-Forwarded-Host", value: authority)
        } else {
            headers.remove(name: "X-Forwarded-Host")
        }
        if client.traces {
            // AsyncHTTPClient adds the trace context of its own span, the caller's span's grandchild:
            // the caller's copy would come first and hide it.
            for name in Self.traceContextFields { headers.remove(name: name) }
        }
        outgoing.headers = headers
        return outgoing
    }

    /// Reads `request`'s body into a new spool, up to `limit` bytes, passing each part to
    /// `observe` as it arrives; 413 past the limit, 503 when the spool cannot store it.
    func spool(
        _ request: Request, into spool: BodySpool, limit: Int, observe: (ByteBuffer) -> Void = { _ in }
    ) async throws -> Result<SpooledBody, HTTPError> {
        if let declared = request.head.headerFields[.contentLength].flatMap(Int.init), declared > limit {
            return .failure(HTTPError.contentTooLarge(limit: limit))
        }
        let body = spool.makeBody()
        do {
            for try await part in request.body {
                guard part.readableBytes <= limit - body.byteCount else {
                    return .failure(HTTPError.contentTooLarge(limit: limit))
                }
                try body.append(part)
                observe(part)
            }
        } catch let error as BodySpoolError {
            logger.error("Could not spool a request body", metadata: ["reason": "\(error.message)"])
            return .failure(HTTPError(.serviceUnavailable, message: "The request body could not be stored."))
        }
        return .success(body)
    }

    /// Whether a spooled body goes to the upstream: it has bytes, or the client declared a length
    /// (an explicit `Content-Length: 0`).
    static func sendsBody(_ body: SpooledBody, of request: Request) -> Bool {
        body.byteCount > 0 || request.head.headerFields[.contentLength] != nil
    }

    /// What came of sending a request upstream.
    enum Outcome {
        /// The upstream's response, its head read.
        case answered(HTTPClientResponse)
        /// The JSON answer to the upstream's failure, its access line logged.
        case failed(Response)
    }

    /// Sends `outgoing` with `body` to `target` on the route's upstream, and returns the upstream's
    /// response, or the JSON answer to its failure.
    func send(
        _ outgoing: HTTPClientRequest, body: SpooledBody?, target: String, route: ProxyRoute,
        exchange: inout ProxyExchange
    ) async -> Outcome {
        do {
            let response: HTTPClientResponse
            if let endpoint = client.ownConnectionsEndpoint(of: route) {
                response = try await Self.send(
                    outgoing, body: body, target: target, to: endpoint, over: client.pool(for: endpoint))
            } else {
                // No overall deadline: the wait for a pooled connection is bounded by the client's
                // connect timeout and the wait for the response by its read timeout, so that a long
                // upload is not cut short. AsyncHTTPClient traces the call: a client span, ended
                // with the response's head, whose traceparent the upstream receives.
                response = try await client.httpClient.execute(outgoing, deadline: .distantFuture)
            }
            exchange.upstreamStatus = Int(response.status.code)
            exchange.upstreamHeadTime = exchange.start.duration(to: .now)
            return .answered(response)
        } catch {
            return .failed(exchange.finish(failure(error, route: route)))
        }
    }

    /// `outgoing` sent over one of `pool`'s connections, and sent once more over a new one when a
    /// reused connection turns out to have been closed by the upstream before it answered an
    /// idempotent request.
    private static func send(
        _ outgoing: HTTPClientRequest, body: SpooledBody?, target: String,
        to endpoint: ProxyRoute.CleartextEndpoint, over pool: CleartextConnectionPool
    ) async throws -> HTTPClientResponse {
        var head = HTTPRequestHead(version: .http1_1, method: outgoing.method, uri: target, headers: outgoing.headers)
        head.headers.replaceOrAdd(name: "Host", value: endpoint.authority)
        if let body { head.headers.replaceOrAdd(name: "Content-Length", value: String(body.byteCount)) }
        var attempt = 1
        while true {
            let (connection, reused) = try await pool.acquire()
            do {
                return try await connection.execute(head: head, body: body) { reusable in
                    pool.release(connection, reusable: reusable)
                }
            } catch
                where reused && attempt == 1 && idempotentMethods.contains(head.method.rawValue)
                && closedBeforeAnswer(error)
            {
                attempt += 1
            }
        }
    }

    /// The methods a request may be sent twice with (RFC 9110 §9.2.2).
    private static let idempotentMethods: Set<String> = ["GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"]

    /// Whether `error` says the connection was closed under a request, as an upstream closes a
    /// keep-alive connection it no longer wants.
    private static func closedBeforeAnswer(_ error: any Error) -> Bool {
        if let error = error as? HTTPClientError { return error == .remoteConnectionClosed }
        if let error = error as? ChannelError { return error == .ioOnClosedChannel || error == .eof }
        if let error = error as? IOError { return [ECONNRESET, EPIPE].contains(error.errnoCode) }
        return false
    }

    /// The upstream's response streamed back as it arrives, its access line logged when it ends.
    func streamedBack(
        _ upstreamResponse: HTTPClientResponse, route: ProxyRoute, request: Request, context: RequestContext,
        exchange: ProxyExchange, adding extraFields: HTTPFields = [:]
    ) -> Response {
        var head = HTTPResponse(status: .init(code: Int(upstreamResponse.status.code)))
        head.headerFields = returnedHeaders(
            upstreamResponse.headers, route: route, request: request.head, context: context)
        head.headerFields.append(contentsOf: extraFields)
        let streamed = upstreamResponse.body
        let status = head.status.code
        if request.head.method == .head {
            // The server sends no body in answer to HEAD, so the stream below never runs.
            exchange.log(status: status, failure: nil)
        }
        return Response(
            head: head,
            body: ResponseBody { writer in
                do {
                    for try await part in streamed { try await writer.write(part) }
                    exchange.log(status: status, failure: nil)
                } catch {
                    exchange.log(status: status, failure: "\(error)")
                    throw error
                }
            })
    }

    /// The upstream's header fields less hop-by-hop ones, with a `Location` that points at the
    /// upstream made to point at the proxy.
    func returnedHeaders(_ upstream: HTTPHeaders, route: ProxyRoute, request: HTTPRequest, context: RequestContext)
        -> HTTPFields
    {
        let dropped = HopByHop.names(connectionField: upstream[canonicalForm: "connection"].map(String.init))
        var fields = HTTPFields()
        for (name, value) in upstream {
            guard let fieldName = HTTPField.Name(name), !dropped.contains(fieldName.canonicalName) else { continue }
            var value = value
            if fieldName == .location, let authority = request.authority {
                value = Self.proxiedLocation(
                    value, route: route, proxyOrigin: (context.isSecure ? "https://" : "http://") + authority)
            }
            fields.append(HTTPField(name: fieldName, value: value))
        }
        return fields
    }

    /// `location` made to point at the proxy when it points at the upstream, under its base path:
    /// an absolute URL on the upstream's origin, or a path. Anything else is left as it is.
    static func proxiedLocation(_ location: String, route: ProxyRoute, proxyOrigin: String) -> String {
        let isPath = location.hasPrefix("/") && !location.hasPrefix("//")
        guard let path = isPath ? location[...] : route.pathAfterOrigin(of: location),
            let proxiedPath = route.pathBelowBase(path)
        else { return location }
        if isPath, route.basePath.isEmpty { return location }
        return proxyOrigin + (proxiedPath.hasPrefix("/") ? proxiedPath : "/" + proxiedPath)
    }

    /// How messages name the route's upstream.
    func name(of route: ProxyRoute) -> String {
        revealsUpstream ? route.upstream : "The upstream service"
    }

    /// 504 for an upstream that did not answer in time, 503 with `Retry-After` when every
    /// connection to it is busy, 502 for any other failure to get an answer.
    func failure(_ error: any Error, route: ProxyRoute) -> Response {
        let upstream = name(of: route)
        if let error = error as? HTTPClientError {
            if error == .getConnectionFromPoolTimeout {
                var response = HTTPError(
                    .serviceUnavailable,
                    message: "\(upstream) is busy: no connection to it came free within \(upstreamTimeout)."
                ).response
                response.head.headerFields[.retryAfter] = String(Self.retryAfterSeconds)
                return response
            }
            if error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
                return HTTPError(.gatewayTimeout, message: "\(upstream) did not answer within \(upstreamTimeout).")
                    .response
            }
        }
        if !revealsUpstream {
            logger.error("The upstream gave no answer", metadata: ["reason": "\(UpstreamFailure.reason(error))"])
            return HTTPError(.badGateway, message: "\(upstream) gave no answer.").response
        }
        return HTTPError(.badGateway, message: "\(upstream) \(UpstreamFailure.reason(error)).").response
    }
}
