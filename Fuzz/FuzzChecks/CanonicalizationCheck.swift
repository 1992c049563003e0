import MAuth

/// Path normalization, query canonicalization and the string to sign, on any target.
package enum CanonicalizationCheck {
    package static func run(_ bytes: [UInt8]) {
        var input = FuzzInput(bytes)
        let path = input.field()
        let query = input.field()
        let body = input.remainder()

        let normalized = PathNormalizer.normalize(path)
        check(PathNormalizer.normalize(normalized) == normalized, "path normalization is idempotent", bytes)
        check(normalized.first == UInt8(ascii: "/"), "a normalized path starts with '/'", bytes)
        let canonical = QueryCanonicalizer.canonicalize(query)
        check(QueryCanonicalizer.canonicalize(canonical) == canonical, "query canonicalization is idempotent", bytes)

        let target = MAuthRequestTarget(
            path: String(decoding: path, as: UTF8.self), query: String(decoding: query, as: UTF8.self))
        for version in [MAuthProtocolVersion.v1, .v2] {
            let stringToSign = MAuthStringToSign.request(
                version: version, method: "POST", target: target, body: body, appUUID: "app", time: "1")
            check(!stringToSign.isEmpty, "a string to sign is never empty", bytes)
        }
        check(
            MAuthRequestTarget(target.description) == target || target.path.unicodeScalars.contains("?"),
            "a target's text splits back into it", bytes)
    }
}
