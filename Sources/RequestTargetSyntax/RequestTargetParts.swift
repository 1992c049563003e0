/// The path and query of a request target as it travels on the wire, split by the one rule every
/// module of the package uses: at the first `?`.
///
/// Nothing else is interpreted: a `#` stays in the path (a client never sends a fragment, so one
/// that arrives is part of what was sent and signed), and nothing is decoded, since MAuth signs the
/// percent-encoded form. Routing, exemptions and authentication all see the same path.
package struct RequestTargetParts: Sendable {
    /// The raw path, empty when the target has none.
    package let path: Substring
    /// The raw query, without the `?`; empty when there is none.
    package let query: Substring

    /// Splits `target`, such as `/v1/items?z=1`.
    package init(_ target: Substring) {
        // Searched and cut as Unicode scalars, not characters: a combining mark after the `?`
        // makes one character of the two, which a search for the character `?` misses and a cut
        // at a character boundary would move.
        let scalars = target.unicodeScalars
        guard let question = scalars.firstIndex(of: "?") else {
            path = target
            query = target[target.endIndex...]
            return
        }
        path = Substring(scalars[..<question])
        query = Substring(scalars[scalars.index(after: question)...])
    }
}
