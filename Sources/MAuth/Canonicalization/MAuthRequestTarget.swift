/// The path and query of an HTTP request target, exactly as they appear on the wire.
///
/// MAuth signs the still percent-encoded path and query; decoding either breaks signatures made
/// by other clients. Origin-form targets (`/a/b?c=d`) are the norm; an absolute-form target
/// (`http://host/a?b`) has its scheme and authority removed, and a fragment is dropped.
public struct MAuthRequestTarget: Sendable, Hashable {
    /// The raw path, starting with `/` (an empty path is `/`).
    public let path: String
    /// The raw query, without the `?`; empty when there is none.
    public let query: String

    /// Splits a raw request target such as `/v1/items?z=1`.
    public init(_ target: String) {
        var rest = Substring(target)
        if let hash = rest.firstIndex(of: "#") {
            rest = rest[..<hash]
        }
        if !rest.hasPrefix("/"), let scheme = rest.firstRange(of: "://") {
            let afterScheme = rest[scheme.upperBound...]
            let pathStart = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? afterScheme.endIndex
            rest = afterScheme[pathStart...]
        }
        let queryMark = rest.firstIndex(of: "?")
        let path = queryMark.map { rest[..<$0] } ?? rest
        self.path = path.isEmpty ? "/" : String(path)
        self.query = queryMark.map { String(rest[rest.index(after: $0)...]) } ?? ""
    }

    /// Creates a target from an already separated raw path and raw query.
    public init(path: String, query: String) {
        self.path = path.isEmpty ? "/" : path
        self.query = query
    }

    /// The target as it goes on the wire: path, then `?query` when there is a query.
    public var description: String { query.isEmpty ? path : path + "?" + query }
}
