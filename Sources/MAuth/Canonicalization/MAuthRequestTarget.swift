import RequestTargetSyntax

/// The path and query of an HTTP request target, exactly as they appear on the wire.
///
/// MAuth signs the still percent-encoded path and query; decoding either breaks signatures made
/// by other clients. A target that arrived on the wire (``init(_:)``) is split at its first `?`
/// and nothing more, by the same rule the pipeline routes with. A URL a client is about to send
/// (``init(url:)``) first loses what is not sent: its fragment, and the scheme and authority of an
/// absolute URL.
public struct MAuthRequestTarget: Sendable, Hashable {
    /// The raw path, starting with `/` (an empty path is `/`).
    public let path: String
    /// The raw query, without the `?`; empty when there is none.
    public let query: String

    /// Splits a raw request target as it is sent or received, such as `/v1/items?z=1`.
    public init(_ target: String) {
        let parts = RequestTargetParts(Substring(target))
        self.init(path: String(parts.path), query: String(parts.query))
    }

    /// The target a client sends for `url`: an absolute URL (`https://host/a?b#c`) or a path
    /// with a query, less its fragment.
    public init(url: String) {
        // Searched and cut as Unicode scalars: a combining mark after a delimiter joins it into
        // one character.
        var rest = Substring(url).unicodeScalars
        if let hash = rest.firstIndex(of: "#") {
            rest = rest[..<hash]
        }
        if rest.first != "/", let scheme = rest.firstRange(of: "://".unicodeScalars) {
            let afterScheme = rest[scheme.upperBound...]
            rest = afterScheme[(afterScheme.firstIndex { $0 == "/" || $0 == "?" } ?? afterScheme.endIndex)...]
        }
        self.init(String(Substring(rest)))
    }

    /// Creates a target from an already separated raw path and raw query.
    public init(path: String, query: String) {
        self.path = path.isEmpty ? "/" : path
        self.query = query
    }

    /// The target as it goes on the wire: path, then `?query` when there is a query.
    public var description: String { query.isEmpty ? path : path + "?" + query }
}
