/// URL text, adjusted the way every MAuth client can sign and verify alike.
enum SendableURL {
    /// `url` with empty `&` pieces removed from its query (`?a=1&&b=2&` becomes `?a=1&b=2`); the
    /// path, the rest of the query and the fragment are left byte for byte.
    static func droppingEmptyQueryPieces(_ url: String) -> String {
        guard let questionMark = url.firstIndex(of: "?") else { return url }
        let afterQuery = url[questionMark...].firstIndex(of: "#") ?? url.endIndex
        let query = url[url.index(after: questionMark)..<afterQuery]
        let pieces = query.split(separator: "&", omittingEmptySubsequences: true)
        guard pieces.count != query.split(separator: "&", omittingEmptySubsequences: false).count else { return url }
        let rebuilt = pieces.joined(separator: "&")
        return String(url[..<questionMark]) + (rebuilt.isEmpty ? "" : "?" + rebuilt) + String(url[afterQuery...])
    }
}
