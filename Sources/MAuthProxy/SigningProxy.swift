public import AsyncHTTPClient
public import BodySpool
import Foundation
public import HTTPPipeline
import HTTPTypes
public import Logging
public import MAuth
import MAuthClient
import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1
import NIOPosix

/// A reverse proxy that signs every request it forwards: put it in front of a MAuth-protected
/// service to call that service from tools that cannot sign (a browser, curl, a load tester).
///
/// ```swift
/// let proxy = try SigningProxy(
///     routes: [ProxyRoute(prefix: "/", upstream: "https://api.example.com")],
///     signer: signer
/// )
/// let server = HTTPServer(configuration: .init(port: 8081), handler: proxy, logger: logger)
/// ```
///
/// For each request it:
/// - picks the route with the longest matching prefix (404 when none matches);
/// - reads the body, up to `maxBodySize` bytes (413 beyond), into the spool while it computes the
///   body's signature digests, so a large body costs memory only up to the spool's threshold; a
///   V2 signature covers the body, so the body is read whole before it is sent on;
/// - drops hop-by-hop header fields and any MAuth signature it did not make, adds
///   `X-Forwarded-For`, `-Proto` and `-Host`, and signs over the exact target and body it sends;
/// - streams the upstream's response back; when responses are authenticated, it is first read
///   into the spool while its digest is computed, then sent from there; an absolute `Location` that points at the upstream is rewritten to point
///   at the proxy, and redirects are never followed;
/// - answers 502 when the upstream cannot be reached, answers something that is not HTTP or
///   sends an inauthentic response, and 504 when it does not answer in time, each with a JSON
///   body that names the upstream;
/// - logs one line per request at `info` with the upstream's status and time.
public struct SigningProxy: Handler {
    /// The largest request body forwarded by default: 10 MiB.
    public static let defaultMaxBodySize = 10 * 1024 * 1024

    /// The client used when none is given: it follows no redirects, reports a refused connection
    /// at once instead of retrying until the timeout, and gives up on a response that pauses for
    /// 30 s. It lives as long as the process; being nobody else's, it is never shut down.
    static let defaultHTTPClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(30))
        return HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
    }()

    /// The routes, longest prefix first: the order they are tried in.
    public let routes: [ProxyRoute]
    let signer: MAuthSigner
    let httpClient: HTTPClient
    let responseAuthenticator: MAuthAuthenticator?
    let maxBodySize: Int
    let upstreamTimeout: Duration
    let logger: Logger
    let spool: BodySpool

    /// Creates a proxy.
    ///
    /// - Parameters:
    ///   - routes: where requests go; at least one, prefixes distinct.
    ///   - signer: signs every forwarded request.
    ///   - httpClient: sends to the upstreams; by default, one of the library's that follows no
    ///     redirects, reports a refused connection at once and gives up on a response that pauses
    ///     for 30 s. A client given here must not follow redirects, or a signature would go
    ///     wherever a 3xx points; its read timeout bounds the pauses of a streamed response.
    ///   - responseAuthenticator: when set, every upstream response must carry a valid MAuth
    ///     signature, and responses are read whole before they are passed on.
    ///   - maxBodySize: the largest request body forwarded, and the largest authenticated
    ///     response.
    ///   - upstreamTimeout: how long an upstream may take to start its response.
    ///   - logger: where the per-request lines go.
    ///   - spool: where request bodies, and authenticated responses, wait while they are signed
    ///     or authenticated.
    /// - Throws: ``ProxyError`` with code `invalidRoutes` when there is no route or two share a
    ///   prefix.
    public init(
        routes: [ProxyRoute],
        signer: MAuthSigner,
        httpClient: HTTPClient? = nil,
        responseAuthenticator: MAuthAuthenticator? = nil,
        maxBodySize: Int = defaultMaxBodySize,
        upstreamTimeout: Duration = .seconds(30),
        logger: Logger = Logger(label: "mauth.proxy"),
        spool: BodySpool = .standard
    ) throws(ProxyError) {
        guard !routes.isEmpty else { throw ProxyError(.invalidRoutes, "a proxy needs at least one upstream") }
        guard Set(routes.map(\.prefix)).count == routes.count else {
            throw ProxyError(.invalidRoutes, "two routes have the same path prefix")
        }
        self.routes = routes.sorted { $0.prefix.utf8.count > $1.prefix.utf8.count }
        self.signer = signer
        self.httpClient = httpClient ?? Self.defaultHTTPClient
        self.responseAuthenticator = responseAuthenticator
        self.maxBodySize = maxBodySize
        self.upstreamTimeout = upstreamTimeout
        self.logger = logger
        self.spool = spool
    }

    /// Forwards `request`, signed, to its route's upstream and returns the upstream's answer.
    ///
    /// - Parameters:
    ///   - request: the request as the client sent it; its raw path and query are appended to the
    ///     route's upstream URL.
    ///   - context: the request's context; its remote address goes in `X-Forwarded-For`.
    /// - Returns: the upstream's response, or the proxy's own JSON error: 400 for a target that
    ///   does not start with `/` or has a dot segment, 404 when no route matches, 413 for a body
    ///   over `maxBodySize`, 500 when the request cannot be signed, 502 when the upstream fails or
    ///   its response is inauthentic, 503 when a body cannot be spooled, 504 when it does not
    ///   answer in time.
    /// - Throws: errors of the request body other than its size.
    public func handle(_ request: Request, context: RequestContext) async throws -> Response {
        let start = ContinuousClock.now
        var exchange = Exchange(request: request, start: start, logger: logger)
        guard request.target.hasPrefix("/") else {
            return exchange.finish(
                HTTPError(.badRequest, message: "A proxied request's target starts with '/'.").response)
        }
        guard !Self.hasDotSegment(request.path) else {
            // A route is chosen by the raw path; `..` would let a request escape its route or the
            // upstream's base path once the upstream resolves it.
            return exchange.finish(
                HTTPError(.badRequest, message: "A proxied path may not have '.' or '..' segments.").response)
        }
        guard let route = routes.first(where: { $0.matches(request.path) }) else {
            return exchange.finish(
                HTTPError(.notFound, message: "No upstream serves \(request.path).").response)
        }
        exchange.upstream = route.upstream
        if let declared = request.head.headerFields[.contentLength].flatMap(Int.init), declared > maxBodySize {
            return exchange.finish(HTTPError.contentTooLarge(limit: maxBodySize).response)
        }
        var outgoing = HTTPClientRequest(url: route.origin + route.basePath + request.target)
        outgoing.method = NIOHTTP1.HTTPMethod(rawValue: request.head.method.rawValue)
        outgoing.headers = forwardedHeaders(request.head, context: context)
        let body = spool.makeBody()
        do {
            let digester = try signer.bodyDigester(for: &outgoing)
            for try await part in request.body {
                guard part.readableBytes <= maxBodySize - body.byteCount else {
                    return exchange.finish(HTTPError.contentTooLarge(limit: maxBodySize).response)
                }
                try body.append(part)
                part.withUnsafeReadableBytes { digester.update($0) }
            }
            let sent = body.byteCount > 0 || request.head.headerFields[.contentLength] != nil
            try signer.sign(&outgoing, bodyDigester: digester, body: sent ? .spooled(body) : nil)
        } catch let error as HTTPError {
            return exchange.finish(error.response)
        } catch let error as BodySpoolError {
            logger.error("Could not spool a request body", metadata: ["reason": "\(error.message)"])
            return exchange.finish(
                HTTPError(.serviceUnavailable, message: "The request body could not be stored.").response)
        } catch let error as MAuthError {
            logger.error("Could not sign a request", metadata: ["reason": "\(error.message)"])
            return exchange.finish(
                HTTPError(.internalServerError, message: "The request could not be signed.").response)
        }

        let upstreamResponse: HTTPClientResponse
        do {
            // AsyncHTTPClient traces the call: a client span, ended with the response's head, whose
            // traceparent the upstream receives.
            upstreamResponse = try await httpClient.execute(outgoing, timeout: .init(upstreamTimeout))
        } catch {
            return exchange.finish(failure(error, route: route))
        }
        exchange.upstreamStatus = Int(upstreamResponse.status.code)
        exchange.upstreamHeadTime = start.duration(to: .now)

        var head = HTTPResponse(status: .init(code: Int(upstreamResponse.status.code)))
        head.headerFields = returnedHeaders(
            upstreamResponse.headers, route: route, request: request.head, context: context)
        guard let responseAuthenticator else {
            let streamed = upstreamResponse.body
            let finishedExchange = exchange
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
                        finishedExchange.log(status: status, failure: nil)
                    } catch {
                        finishedExchange.log(status: status, failure: "\(error)")
                        throw error
                    }
                })
        }
        let signedHead = HTTPResponse(
            status: head.status, headerFields: HTTPFields(upstreamResponse.headers, splitCookie: false))
        let responseBody = spool.makeBody()
        let digester = MAuthBodyDigester(responseStatus: signedHead.status.code, headers: signedHead.headerFields)
        do {
            for try await part in upstreamResponse.body {
                guard part.readableBytes <= maxBodySize - responseBody.byteCount else {
                    return exchange.finish(
                        HTTPError(
                            .badGateway,
                            message:
                                "The response of \(route.upstream) is over \(maxBodySize) bytes, the most authenticated."
                        ).response)
                }
                try responseBody.append(part)
                part.withUnsafeReadableBytes { digester.update($0) }
            }
        } catch let error as BodySpoolError {
            logger.error("Could not spool a response body", metadata: ["reason": "\(error.message)"])
            return exchange.finish(
                HTTPError(.serviceUnavailable, message: "The response body could not be stored.").response)
        } catch {
            return exchange.finish(failure(error, route: route))
        }
        do {
            if responseAuthenticator.verifiesBodyDigests {
                _ = try await responseAuthenticator.authenticate(signedHead, bodyDigest: digester.finish())
            } else {
                let bytes = try responseBody.readAll()
                _ = try await responseAuthenticator.authenticate(signedHead, body: bytes.readableBytesView)
            }
        } catch let error as MAuthError {
            let verdict = error.code == .inauthentic ? "is inauthentic" : "could not be authenticated"
            return exchange.finish(
                HTTPError(.badGateway, message: "The response of \(route.upstream) \(verdict): \(error.message)")
                    .response)
        } catch {
            logger.error("Could not read a spooled response back", metadata: ["reason": "\(error)"])
            return exchange.finish(
                HTTPError(.serviceUnavailable, message: "The response body could not be stored.").response)
        }
        let status = head.status.code
        if request.head.method != .head, status >= 200, status != 204, status != 304 {
            head.headerFields[.contentLength] = String(responseBody.byteCount)
        }
        let sent =
            responseBody.memoryBuffer.map(ResponseBody.init(buffer:))
            ?? ResponseBody { writer in
                for try await part in responseBody.chunks() { try await writer.write(part) }
            }
        return exchange.finish(Response(head: head, body: sent))
    }

    /// The incoming header fields less hop-by-hop ones, framing, `Host` and MAuth signatures,
    /// plus the `X-Forwarded-*` fields.
    private func forwardedHeaders(_ head: HTTPRequest, context: RequestContext) -> HTTPHeaders {
        var headers = HTTPHeaders()
        let dropped = HopByHop.names(connectionField: head.headerFields[values: .connection])
            .union(HopByHop.requestOnly)
        for field in head.headerFields where !dropped.contains(field.name.canonicalName) && field.name != .cookie {
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
        }
        if httpClient.tracer != nil {
            // AsyncHTTPClient adds the trace context of its own span, the caller's span's grandchild:
            // the caller's copy would come first and hide it.
            for name in Self.traceContextFields { headers.remove(name: name) }
        }
        return headers
    }

    /// The W3C trace context fields, which a traced proxy writes anew rather than forwards.
    static let traceContextFields = ["traceparent", "tracestate"]

    /// The upstream's header fields less hop-by-hop ones, with a `Location` that points at the
    /// upstream made to point at the proxy.
    private func returnedHeaders(
        _ upstream: HTTPHeaders, route: ProxyRoute, request: HTTPRequest, context: RequestContext
    ) -> HTTPFields {
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

    /// Whether a raw path has a `.` or `..` segment, spelled out or percent-encoded.
    static func hasDotSegment(_ path: Substring) -> Bool {
        path.split(separator: "/", omittingEmptySubsequences: false).contains { segment in
            let decoded = segment.lowercased().replacingOccurrences(of: "%2e", with: ".")
            return decoded == "." || decoded == ".."
        }
    }

    /// 504 for an upstream that did not answer in time, 502 for any other failure to get an
    /// answer.
    private func failure(_ error: any Error, route: ProxyRoute) -> Response {
        if let error = error as? HTTPClientError,
            error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout
        {
            return HTTPError(
                .gatewayTimeout,
                message: "\(route.upstream) did not answer within \(upstreamTimeout)."
            )
            .response
        }
        return HTTPError(.badGateway, message: "\(route.upstream) \(UpstreamFailure.reason(error)).").response
    }
}

/// One request on its way through the proxy: what its access-log line says.
private struct Exchange: Sendable {
    let method: String
    let target: String
    let start: ContinuousClock.Instant
    let logger: Logger
    var upstream: String?
    var upstreamStatus: Int?
    var upstreamHeadTime: Duration?

    init(request: Request, start: ContinuousClock.Instant, logger: Logger) {
        self.method = request.head.method.rawValue
        self.target = request.target
        self.start = start
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
        if let failure { metadata["proxy.error"] = "\(failure)" }
        logger.info("\(method) \(target) \(status)", metadata: metadata)
    }

    private static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds * 1_000_000 + attoseconds / 1_000_000_000_000) / 1000
    }
}
