import Foundation

/// URL text, adjusted the way every MAuth client can sign and verify alike.
package enum SendableURL {
    /// `url` with empty `&` pieces removed from its query (`?a=1&&b=2&` becomes `?a=1&b=2`); the
    /// path, the rest of the query and the fragment are left byte for byte.
    package static func droppingEmptyQueryPieces(_ url: String) -> String {
        // Searched and cut as Unicode scalars, like every split of a target: a combining mark
        // after a delimiter joins it into one character.
        let scalars = url.unicodeScalars
        guard let question = scalars.firstIndex(of: "?") else { return url }
        let afterQuery = scalars[question...].firstIndex(of: "#") ?? scalars.endIndex
        let query = scalars[scalars.index(after: question)..<afterQuery]
        let pieces = query.split(separator: "&", omittingEmptySubsequences: true)
        guard pieces.count != query.split(separator: "&", omittingEmptySubsequences: false).count else { return url }
        let rebuilt = pieces.map { String(Substring($0)) }.joined(separator: "&")
        return String(Substring(scalars[..<question])) + (rebuilt.isEmpty ? "" : "?" + rebuilt)
            + String(Substring(scalars[afterQuery...]))
    }

    /// The URL AsyncHTTPClient sends for the text `url`: empty query pieces dropped, then the
    /// escapes that `URL(string:)` adds.
    package static func asSentByAsyncHTTPClient(_ url: String) -> String {
        let adjusted = droppingEmptyQueryPieces(url)
        return URL(string: adjusted)?.absoluteString ?? adjusted
    }
}
