import Foundation

/// Where requests under a path prefix are forwarded: `/studies=https://studies.example.com`.
///
/// A request's raw target is appended to the upstream's path: with the route
/// `/studies=https://api.example.com/v2`, `GET /studies/1?x=y` goes to
/// `https://api.example.com/v2/studies/1?x=y`.
public struct ProxyRoute: Sendable, Hashable {
    /// The path prefix, matched on whole segments: `/studies` matches `/studies` and
    /// `/studies/1`, not `/studies-old`. `/` matches every path.
    public let prefix: String
    /// The upstream's scheme, host and port, such as `https://api.example.com:8443`.
    public let origin: String
    /// The upstream's path, without a trailing `/`; empty for none.
    public let basePath: String
    /// The origin, lower-cased, with and without its default port.
    private let originSpellings: [String]
    /// The upstream's host (an IPv6 address without brackets) and port, when it speaks cleartext
    /// HTTP; `nil` for HTTPS.
    let cleartextEndpoint: CleartextEndpoint?

    /// Where a cleartext upstream listens, and the `Host` it is sent.
    struct CleartextEndpoint: Sendable, Hashable {
        let host: String
        let port: Int
        let authority: String
    }

    /// Creates a route to `upstream`, an `http` or `https` URL without query or fragment.
    ///
    /// - Throws: ``ProxyError`` with code `invalidRoute` when the prefix or the URL is unusable.
    public init(prefix: String, upstream: String) throws(ProxyError) {
        guard prefix.hasPrefix("/"), !prefix.contains("?"), !prefix.contains("#") else {
            throw ProxyError(.invalidRoute, "a route's path prefix starts with '/' and has no query: '\(prefix)'")
        }
        guard let components = URLComponents(string: upstream),
            let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = components.host, !host.isEmpty,
            components.query == nil, components.fragment == nil, components.user == nil
        else {
            throw ProxyError(
                .invalidRoute, "an upstream is an http:// or https:// URL with a host and no query: '\(upstream)'")
        }
        let bracketedHost = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        self.prefix = prefix.count > 1 && prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix
        self.origin = "\(scheme)://\(bracketedHost)" + (components.port.map { ":\($0)" } ?? "")
        let defaultPort = scheme == "https" ? 443 : 80
        let otherSpelling =
            components.port == nil
            ? "\(scheme)://\(bracketedHost):\(defaultPort)"
            : components.port == defaultPort ? "\(scheme)://\(bracketedHost)" : nil
        self.originSpellings = [origin.lowercased()] + (otherSpelling.map { [$0.lowercased()] } ?? [])
        self.cleartextEndpoint =
            scheme == "http"
            ? CleartextEndpoint(
                host: host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host, port: components.port ?? 80,
                authority: "\(bracketedHost)" + (components.port.map { ":\($0)" } ?? ""))
            : nil
        let path = components.percentEncodedPath
        self.basePath = path.hasSuffix("/") ? String(path.dropLast()) : path
    }

    /// Parses `PREFIX=URL`, the form of `mauth proxy --route`.
    public init(argument: String) throws(ProxyError) {
        guard let equals = argument.firstIndex(of: "=") else {
            throw ProxyError(.invalidRoute, "a route looks like /prefix=https://upstream, not '\(argument)'")
        }
        try self.init(
            prefix: String(argument[..<equals]), upstream: String(argument[argument.index(after: equals)...]))
    }

    /// The upstream URL as given, for messages: origin and base path.
    public var upstream: String { origin + basePath }

    /// What follows the origin in `url`, when `url` is on this route's upstream.
    func pathAfterOrigin(of url: String) -> Substring? {
        let lowered = url.lowercased()
        for spelling in originSpellings where lowered.hasPrefix(spelling) {
            let rest = url.dropFirst(spelling.count)
            if rest.isEmpty || rest.hasPrefix("/") || rest.hasPrefix("?") { return rest }
        }
        return nil
    }

    /// `path` without the base path, when it lies under the base path (or there is none).
    func pathBelowBase(_ path: Substring) -> Substring? {
        guard !basePath.isEmpty else { return path }
        guard path.hasPrefix(basePath) else { return nil }
        let rest = path.dropFirst(basePath.count)
        return rest.isEmpty || rest.hasPrefix("/") || rest.hasPrefix("?") ? rest : nil
    }

    /// Whether `path` (raw, without the query) lies under this route's prefix.
    func matches(_ path: Substring) -> Bool {
        guard prefix != "/" else { return true }
        guard path.hasPrefix(prefix) else { return false }
        let rest = path.dropFirst(prefix.count)
        return rest.isEmpty || rest.hasPrefix("/")
    }
}
