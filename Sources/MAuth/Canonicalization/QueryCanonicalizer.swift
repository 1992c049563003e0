/// V2 query canonicalization (PROTOCOL.md §4.2), on raw bytes.
package enum QueryCanonicalizer {
    /// The canonical query: pieces split on `&` (empty pieces kept), each split at its first `=`,
    /// `+` and `%XX` decoded, pairs sorted by key then value comparing bytes, and every byte
    /// outside `A-Z a-z 0-9 - . _ ~` written as `%XX` with upper-case hex digits.
    package static func canonicalize(_ query: some Collection<UInt8>) -> [UInt8] {
        query.withContiguousBytes { bytes in
            DecodedQuery(pieces: pieces(of: bytes), of: bytes).sorted().encoded(keepingSlash: false)
        }
    }

    /// Forms that other MAuth clients produce for the same query (PROTOCOL.md §4.2
    /// disagreements), for an authenticator that accepts any client's signature. Empty when no
    /// client disagrees about this query.
    static func variants(of query: some Collection<UInt8>) -> [[UInt8]] {
        clientVariants(of: query).map(\.form)
    }

    /// ``variants(of:)``, each with what its client does differently, in words.
    static func clientVariants(of query: some Collection<UInt8>) -> [(form: [UInt8], difference: String)] {
        query.withContiguousBytes { bytes in
            guard !bytes.isEmpty else { return [] }
            let pieces = pieces(of: bytes)
            let all = DecodedQuery(pieces: pieces, of: bytes).sorted()
            var alternatives: [(query: DecodedQuery, difference: String)] = []
            if pieces.contains(where: \.isEmpty) {
                alternatives.append(
                    (
                        DecodedQuery(pieces: pieces.filter { !$0.isEmpty }, of: bytes).sorted(),
                        "the query without its empty '&' pieces (the JVM client)"
                    ))
                var trailingDropped = pieces
                while trailingDropped.last?.isEmpty == true { trailingDropped.removeLast() }
                if trailingDropped.count != pieces.count, trailingDropped.contains(where: \.isEmpty) {
                    alternatives.append(
                        (
                            DecodedQuery(pieces: trailingDropped, of: bytes).sorted(),
                            "the query without its trailing empty '&' pieces (the Ruby client)"
                        ))
                }
            }
            if let replaced = all.replacingInvalidUTF8() {
                alternatives.append(
                    (replaced.sorted(), "the query with invalid UTF-8 replaced by U+FFFD (the Python and JVM clients)"))
            }
            var forms = alternatives.map { ($0.query.encoded(keepingSlash: false), $0.difference) }
            if all.bytes.contains(UInt8(ascii: "/")) {
                let slash = "the query with '/' left unencoded (the Python client)"
                forms.append((all.encoded(keepingSlash: true), slash))
                forms += alternatives.map { ($0.query.encoded(keepingSlash: true), $0.difference + ", and " + slash) }
            }
            var seen: Set<[UInt8]> = [all.encoded(keepingSlash: false)]
            return forms.filter { seen.insert($0.0).inserted }.map { (form: $0.0, difference: $0.1) }
        }
    }

    /// The ranges of the `&`-separated pieces, empty ones included; none for an empty query.
    private static func pieces(of bytes: UnsafeRawBufferPointer) -> [Range<Int>] {
        guard !bytes.isEmpty else { return [] }
        var pieces: [Range<Int>] = []
        pieces.reserveCapacity(8)
        var start = 0
        for index in 0..<bytes.count where bytes[index] == UInt8(ascii: "&") {
            pieces.append(start..<index)
            start = index + 1
        }
        pieces.append(start..<bytes.count)
        return pieces
    }
}
