public import HTTPPipeline
public import HTTPTypes

/// Which requests a signing proxy is willing to sign, judged by their `Host` and `Origin`.
///
/// A proxy signs whatever reaches it, and a web page in the user's browser can reach
/// `127.0.0.1` too: through a name of the attacker's that resolves to it (DNS rebinding, which
/// leaves that name in `Host`), or by a cross-site request (which carries the page's `Origin`).
/// So a request whose `Host` is not one of ``allowedHosts`` answers 421, and one with an
/// `Origin` that is neither the proxy's own (same scheme and authority as the request's) nor in
/// ``allowedOrigins`` answers 403. So does a request without `Origin` that a browser marks as
/// sent from another site (`Sec-Fetch-Site: cross-site` or `same-site`): an image or a script a
/// page loads, or a link it follows.
public struct ProxyHostPolicy: Sendable, Equatable {
    /// The host names and addresses the proxy answers to, lower-cased, IPv6 addresses without
    /// brackets; any port.
    public var allowedHosts: Set<String>
    /// Other origins whose pages may send requests, lower-cased, such as `http://localhost:3000`.
    public var allowedOrigins: Set<String>

    static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!

    /// The loopback names: `localhost`, `127.0.0.1` and `::1`.
    public static let loopback = ProxyHostPolicy(allowedHosts: ["localhost", "127.0.0.1", "::1"])

    /// Creates a policy.
    ///
    /// - Parameters:
    ///   - allowedHosts: names and addresses, with or without brackets around IPv6 addresses.
    ///   - allowedOrigins: origins as a browser writes them, `scheme://host[:port]`.
    public init(allowedHosts: some Sequence<String>, allowedOrigins: some Sequence<String> = [String]()) {
        self.allowedHosts = Set(allowedHosts.map { Self.hostName(fromAuthority: $0, bare: true) })
        self.allowedOrigins = Set(
            allowedOrigins.map { origin in
                let lowered = origin.lowercased()
                return lowered.hasSuffix("/") ? String(lowered.dropLast()) : lowered
            })
    }

    /// This policy with `names` (names or addresses) allowed too.
    public func allowing(hosts names: some Sequence<String>) -> ProxyHostPolicy {
        var policy = self
        policy.allowedHosts.formUnion(names.map { Self.hostName(fromAuthority: $0, bare: true) })
        return policy
    }

    /// The answer to a request the policy refuses: 421 for a host it does not answer to, 403 for
    /// a page from another origin; `nil` for one it allows.
    public func refusal(of head: HTTPRequest, context: RequestContext) -> HTTPError? {
        guard let authority = head.authority, !authority.isEmpty else {
            return HTTPError(.misdirectedRequest, message: "A request to the proxy names its host.")
        }
        let host = Self.hostName(fromAuthority: authority, bare: false)
        guard allowedHosts.contains(host) else {
            return HTTPError(
                .misdirectedRequest,
                message: "The proxy does not answer to the host '\(host)'; allow it with --allow-host.")
        }
        guard let origin = head.headerFields[.origin] else {
            let site = head.headerFields[Self.secFetchSite]?.lowercased()
            guard site == "cross-site" || site == "same-site" else { return nil }
            return HTTPError(
                .forbidden,
                message:
                    "The proxy does not sign requests that a web page of another site sends; allow its origin with --allow-origin."
            )
        }
        let lowered = origin.lowercased()
        let scheme = context.isSecure ? "https://" : "http://"
        let ownOrigin = scheme + Self.withoutDefaultPort(authority.lowercased(), scheme: scheme)
        let givenOrigin =
            lowered.hasPrefix(scheme)
            ? scheme + Self.withoutDefaultPort(String(lowered.dropFirst(scheme.count)), scheme: scheme) : lowered
        if givenOrigin == ownOrigin || allowedOrigins.contains(lowered) { return nil }
        return HTTPError(
            .forbidden,
            message: "The proxy does not sign requests from pages of \(origin); allow it with --allow-origin.")
    }

    /// The host of an authority (`host`, `host:port`, `[v6]:port`), lower-cased, without brackets
    /// or a final dot; `bare` takes an unbracketed IPv6 address whole.
    static func hostName(fromAuthority authority: String, bare: Bool) -> String {
        var host = authority.lowercased()[...]
        if host.hasPrefix("[") {
            host = host.dropFirst().prefix { $0 != "]" }
        } else if !(bare && host.filter({ $0 == ":" }).count > 1), let colon = host.lastIndex(of: ":") {
            host = host[..<colon]
        }
        if host.hasSuffix(".") { host = host.dropLast() }
        return String(host)
    }

    private static func withoutDefaultPort(_ authority: String, scheme: String) -> String {
        let defaultPort = scheme == "https://" ? ":443" : ":80"
        return authority.hasSuffix(defaultPort) ? String(authority.dropLast(defaultPort.count)) : authority
    }
}
