import AsyncHTTPClient
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
/// - answers only requests whose `Host`, `Origin` and `Sec-Fetch-Site` its ``ProxyHostPolicy``
///   allows (loopback names and its own origin by default), so that a web page in the browser
///   cannot use it to sign requests;
/// - picks the route with the longest matching prefix (404 when none matches);
/// - refuses (400) a target that could climb out of its route once the upstream decodes it, or
///   that could not be forwarded byte for byte;
/// - reads the body, up to `maxBodySize` bytes (413 beyond), into the spool while it computes the
///   body's signature digests, so a large body costs memory only up to the spool's threshold; a
///   V2 signature covers the body, so the body is read whole before it is sent on;
/// - drops hop-by-hop header fields and any MAuth signature it did not make, adds
///   `X-Forwarded-For`, `-Proto` and `-Host`, and signs over the exact target and body it sends;
/// - streams the upstream's response back; when responses are authenticated, it is first read
///   into the spool while its digest is computed, then sent from there; an absolute `Location`
///   that points at the upstream is rewritten to point at the proxy, and redirects are never
///   followed;
/// - answers 502 when the upstream cannot be reached, answers something that is not HTTP or
///   sends an inauthentic response, 503 with `Retry-After` when no connection to it came free in
///   time, and 504 when it does not answer in time, each with a JSON body that names the upstream;
/// - logs one line per request at `info` with the path (the query only at `debug`), the
///   upstream's status and time.
public struct SigningProxy: Handler {
    /// The largest request body forwarded by default: 10 MiB.
    public static let defaultMaxBodySize = 10 * 1024 * 1024

    /// The MAuth fields of the caller, which the proxy replaces with its own signature.
    static let signatureFields = Set(HTTPField.Name.mauthSignatureFields.map(\.canonicalName))

    /// The routes, longest prefix first: the order they are tried in.
    public let routes: [ProxyRoute]
    /// Which `Host` and `Origin` the proxy answers.
    public let hostPolicy: ProxyHostPolicy
    let signer: MAuthSigner
    let responseAuthenticator: MAuthAuthenticator?
    let maxBodySize: Int
    let logger: Logger
    let spool: BodySpool
    let forwarder: UpstreamForwarder

    /// Creates a proxy.
    ///
    /// - Parameters:
    ///   - routes: where requests go; at least one, prefixes distinct.
    ///   - signer: signs every forwarded request.
    ///   - hostPolicy: the `Host` names the proxy answers to and the page origins it signs for;
    ///     the loopback names and the proxy's own origin by default.
    ///   - upstreamClient: how upstreams are reached, and their timeout; by default, a client of
    ///     the library's with a 30 s timeout and 64 connections to each upstream, shared by the
    ///     proxies given none.
    ///   - responseAuthenticator: when set, every upstream response must carry a valid MAuth
    ///     signature, and responses are read whole before they are passed on.
    ///   - maxBodySize: the largest request body forwarded, and the largest authenticated
    ///     response.
    ///   - logger: where the per-request lines go.
    ///   - spool: where request bodies, and authenticated responses, wait while they are signed
    ///     or authenticated.
    /// - Throws: ``ProxyError`` with code `invalidRoutes` when there is no route or two share a
    ///   prefix.
    public init(
        routes: [ProxyRoute],
        signer: MAuthSigner,
        hostPolicy: ProxyHostPolicy = .loopback,
        upstreamClient: UpstreamClient? = nil,
        responseAuthenticator: MAuthAuthenticator? = nil,
        maxBodySize: Int = defaultMaxBodySize,
        logger: Logger = Logger(label: "mauth.proxy"),
        spool: BodySpool = .standard
    ) throws(ProxyError) {
        guard !routes.isEmpty else { throw ProxyError(.invalidRoutes, "a proxy needs at least one upstream") }
        guard Set(routes.map(\.prefix)).count == routes.count else {
            throw ProxyError(.invalidRoutes, "two routes have the same path prefix")
        }
        self.routes = routes.sorted { $0.prefix.utf8.count > $1.prefix.utf8.count }
        self.signer = signer
        self.hostPolicy = hostPolicy
        self.responseAuthenticator = responseAuthenticator
        self.maxBodySize = maxBodySize
        self.logger = logger
        self.spool = spool
        self.forwarder = UpstreamForwarder(
            client: upstreamClient ?? UpstreamForwarder.sharedClient, logger: logger,
            revealsUpstream: true)
    }

    /// Forwards `request`, signed, to its route's upstream and returns the upstream's answer.
    ///
    /// - Parameters:
    ///   - request: the request as the client sent it; its raw path and query are appended to the
    ///     route's upstream URL.
    ///   - context: the request's context; its remote address goes in `X-Forwarded-For`.
    /// - Returns: the upstream's response, or the proxy's own JSON error: 400 for a target that
    ///   does not start with `/`, has a dot segment (spelled out, encoded or with a `;`
    ///   parameter), an encoded `/` or `\`, or escapes that are not UTF-8; 403 for a page of an
    ///   origin the host policy does not allow; 404 when no route matches; 413 for a body over
    ///   `maxBodySize`; 421 for a `Host` the policy does not allow; 500 when the request cannot be
    ///   signed; 502 when the upstream fails or its response is inauthentic; 503 when a body
    ///   cannot be spooled or no connection to the upstream came free in time; 504 when it does
    ///   not answer in time.
    /// - Throws: errors of the request body other than its size.
    public func handle(_ request: Request, context: RequestContext) async throws -> Response {
        var exchange = ProxyExchange(request: request, logger: logger)
        if let refusal = hostPolicy.refusal(of: request.head, context: context) {
            return exchange.finish(refusal.response)
        }
        guard let route = routes.first(where: { $0.matches(request.path) }) else {
            return exchange.finish(
                HTTPError(.notFound, message: "No upstream serves \(request.path.prefix(200)).").response)
        }
        let url: String
        switch forwarder.url(for: request, route: route) {
        case .success(let exact): url = exact
        case .failure(let refusal): return exchange.finish(refusal.response)
        }
        exchange.upstream = route.upstream
        var outgoing = forwarder.outgoingRequest(
            url: url, for: request, context: context, dropping: Self.signatureFields)
        var sentBody: SpooledBody?
        do {
            // The target is what the upstream receives, byte for byte: the forwarder checked it.
            let digester = try signer.bodyDigester(
                method: request.head.method.rawValue, target: MAuthRequestTarget(route.basePath + request.target))
            let body: SpooledBody
            switch try await forwarder.spool(
                request, into: spool, limit: maxBodySize,
                observe: { part in part.withUnsafeReadableBytes { digester.update($0) } })
            {
            case .success(let spooled): body = spooled
            case .failure(let refusal): return exchange.finish(refusal.response)
            }
            sentBody = UpstreamForwarder.sendsBody(body, of: request) ? body : nil
            for field in try signer.headers(for: digester) {
                outgoing.headers.add(name: field.name.rawName, value: field.value)
            }
            outgoing.body = sentBody.map { .spooled($0) }
        } catch let error as HTTPError {
            return exchange.finish(error.response)
        } catch let error as MAuthError {
            logger.error("Could not sign a request", metadata: ["reason": "\(error.message)"])
            return exchange.finish(
                HTTPError(.internalServerError, message: "The request could not be signed.").response)
        }

        let upstreamResponse: HTTPClientResponse
        switch await forwarder.send(
            outgoing, body: sentBody, target: route.basePath + request.target, route: route, exchange: &exchange)
        {
        case .answered(let response): upstreamResponse = response
        case .failed(let answer): return answer
        }
        guard let responseAuthenticator else {
            return forwarder.streamedBack(
                upstreamResponse, route: route, request: request, context: context, exchange: exchange)
        }
        var head = HTTPResponse(status: .init(code: Int(upstreamResponse.status.code)))
        head.headerFields = forwarder.returnedHeaders(
            upstreamResponse.headers, route: route, request: request.head, context: context)
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
            return exchange.finish(forwarder.failure(error, route: route))
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
}
