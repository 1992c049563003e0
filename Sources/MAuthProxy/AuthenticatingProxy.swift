import AsyncHTTPClient
import BodySpool
public import HTTPPipeline
public import HTTPTypes
public import Logging
import MAuth
import MAuthClient
public import MAuthMiddleware
import NIOHTTP1

/// A reverse proxy that authenticates every request with MAuth before it forwards it: MAuth in
/// front of a service written in any language, the handler of `mauth gate`.
///
/// ```swift
/// let gate = try AuthenticatingProxy(
///     upstream: "http://127.0.0.1:9000",
///     gate: MAuthGate(authenticator: authenticator, exemptPaths: ["/health"])
/// )
/// let server = HTTPServer(configuration: .init(port: 8443), handler: gate, logger: logger)
/// ```
///
/// For each request it:
/// - removes any copy of the identity header fields the client sent, exempt requests included,
///   so that the upstream can trust them;
/// - refuses (400) a target that could climb out of an exempt path once the upstream decodes it
///   (an encoded `/`, a dot segment spelled out, encoded or with a `;` parameter), or that could
///   not be forwarded byte for byte;
/// - authenticates a request that is not exempt exactly as `MAuthMiddleware` does: the body
///   streamed into the gate's spool while its signature's digests are computed, the same 401,
///   413, 500 and 503 JSON answers; nothing unauthenticated reaches the upstream;
/// - forwards the request unchanged (raw target, body, header fields but hop-by-hop ones, the
///   MAuth fields kept for the upstream's logs), with `X-Forwarded-*` and the caller's app UUID
///   and protocol version in the identity fields (``IdentityHeaders``);
/// - streams the upstream's response back; answers 502 when the upstream fails, 503 with
///   `Retry-After` when no connection to it came free in time and 504 when it does not answer in
///   time, with JSON bodies that do not reveal where the upstream is;
/// - logs one line per request at `info` with the path (the query only at `debug`), the
///   caller's app UUID, the status and the times;
/// - answers nginx's `auth_request` subrequests at ``authRequestPath``, when set: 204 with the
///   identity fields, or the 401 (or 500) JSON. nginx sends them without the body, so only
///   requests whose signature covers an empty body pass there (see <doc:Gate>).
public struct AuthenticatingProxy: Handler {
    /// The names of the header fields that carry the caller's identity to the upstream.
    public struct IdentityHeaders: Sendable, Equatable {
        /// The caller's app UUID; `X-MAuth-App-UUID` by default.
        public var appUUID: HTTPField.Name
        /// The protocol version the request was authenticated with, `v1` or `v2`;
        /// `X-MAuth-Protocol-Version` by default.
        public var protocolVersion: HTTPField.Name

        /// `X-MAuth-App-UUID` and `X-MAuth-Protocol-Version`.
        public static let standard = IdentityHeaders(
            appUUID: HTTPField.Name("X-MAuth-App-UUID")!, protocolVersion: HTTPField.Name("X-MAuth-Protocol-Version")!)

        /// Creates the names.
        public init(appUUID: HTTPField.Name, protocolVersion: HTTPField.Name) {
            self.appUUID = appUUID
            self.protocolVersion = protocolVersion
        }

        /// The fields that tell the upstream who `identity` is.
        func fields(for identity: MAuthIdentity) -> HTTPFields {
            [appUUID: identity.appUUID, protocolVersion: identity.version.description]
        }

        /// Both names, as they are compared.
        var canonicalNames: Set<String> { [appUUID.canonicalName, protocolVersion.canonicalName] }
    }

    /// The upstream every request goes to.
    public let upstream: ProxyRoute
    /// How requests are authenticated: the authenticator, exempt paths, body limit and spool.
    public let gate: MAuthGate
    /// The header fields that carry the caller's identity.
    public let identityHeaders: IdentityHeaders
    /// Where nginx's `auth_request` subrequests are answered, when they are.
    public let authRequestPath: String?
    let forwarder: UpstreamForwarder
    let logger: Logger

    /// Creates a gate in front of `upstream`.
    ///
    /// - Parameters:
    ///   - upstream: the service's `http://` or `https://` URL; a path in it prefixes every
    ///     forwarded target.
    ///   - gate: how requests are authenticated.
    ///   - identityHeaders: the names of the identity fields; ``IdentityHeaders/standard`` by
    ///     default.
    ///   - authRequestPath: the path of the `auth_request` endpoint, such as `/_mauth`; none by
    ///     default. Requests to it are answered by the gate, never forwarded.
    ///   - upstreamClient: how upstreams are reached, and their timeout; by default, a client of
    ///     the library's with a 30 s timeout and 64 connections to each upstream, shared by the
    ///     proxies given none.
    ///   - logger: where the per-request lines go.
    /// - Throws: ``ProxyError`` with code `invalidRoute` when `upstream` is not a usable URL.
    public init(
        upstream: String,
        gate: MAuthGate,
        identityHeaders: IdentityHeaders = .standard,
        authRequestPath: String? = nil,
        upstreamClient: UpstreamClient? = nil,
        logger: Logger = Logger(label: "mauth.gate")
    ) throws(ProxyError) {
        self.upstream = try ProxyRoute(prefix: "/", upstream: upstream)
        self.gate = gate
        self.identityHeaders = identityHeaders
        self.authRequestPath = authRequestPath
        self.logger = logger
        self.forwarder = UpstreamForwarder(
            client: upstreamClient ?? UpstreamForwarder.sharedClient, logger: logger, revealsUpstream: false)
    }

    /// Authenticates `request` unless it is exempt, then forwards it to the upstream with the
    /// caller's identity, and returns the upstream's answer.
    ///
    /// - Returns: the upstream's response, or the gate's own JSON answer: 400 for a target that
    ///   cannot be forwarded safely, 401 for an unsigned or inauthentic request, 413 for a body
    ///   over the gate's limit, 500 when authenticity cannot be determined, 502 when the upstream
    ///   fails, 503 when a body cannot be spooled or no connection to the upstream came free in
    ///   time, 504 when it does not answer in time.
    /// - Throws: errors of the request body other than its size.
    public func handle(_ request: Request, context: RequestContext) async throws -> Response {
        if let authRequestPath, request.path == authRequestPath {
            return await AuthRequestEndpoint(gate: gate, identityHeaders: identityHeaders, logger: logger)
                .answer(request, context: context)
        }
        var exchange = ProxyExchange(request: request, logger: logger)
        let url: String
        switch forwarder.url(for: request, route: upstream) {
        case .success(let exact): url = exact
        case .failure(let refusal): return exchange.finish(refusal.response)
        }
        var outgoing = forwarder.outgoingRequest(
            url: url, for: request, context: context, dropping: identityHeaders.canonicalNames)
        let decision: MAuthGate.Decision
        do {
            decision = try await gate.decide(
                method: request.head.method.rawValue, target: MAuthRequestTarget(request.target),
                headers: request.head.headerFields, body: request.body, logger: context.logger)
        } catch let error as HTTPError {
            return exchange.finish(error.response)
        }
        let body: SpooledBody
        switch decision {
        case .pass:
            switch try await forwarder.spool(request, into: gate.spool, limit: gate.maxBodySize) {
            case .success(let spooled): body = spooled
            case .failure(let refusal): return exchange.finish(refusal.response)
            }
        case .authenticated(let identity, let authenticated):
            exchange.appUUID = identity.appUUID
            for field in identityHeaders.fields(for: identity) {
                outgoing.headers.add(name: field.name.rawName, value: field.value)
            }
            body = authenticated
        case .rejected(let rejection):
            return exchange.finish(rejection.response)
        }
        let sentBody = UpstreamForwarder.sendsBody(body, of: request) ? body : nil
        if let sentBody { outgoing.body = .spooled(sentBody) }
        exchange.upstream = upstream.upstream
        switch await forwarder.send(
            outgoing, body: sentBody, target: upstream.basePath + request.target, route: upstream, exchange: &exchange)
        {
        case .answered(let response):
            return forwarder.streamedBack(
                response, route: upstream, request: request, context: context, exchange: exchange)
        case .failed(let answer):
            return answer
        }
    }
}
