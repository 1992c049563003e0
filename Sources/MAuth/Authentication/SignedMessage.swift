/// A received request or response, reduced to what its signature covers.
struct SignedMessage {
    enum Subject {
        case request(method: String, target: MAuthRequestTarget)
        case response(status: Int)
    }

    let subject: Subject
    let body: [UInt8]

    init(subject: Subject, body: some Collection<UInt8>) {
        self.subject = subject
        self.body = Array(body)
    }

    var kind: String {
        switch subject {
        case .request: "request"
        case .response: "response"
        }
    }

    /// Whether `signature` is `appUUID`'s signature of this message, trying other clients'
    /// canonical forms of the path and query only after the standard form fails.
    func verify(
        _ signature: [UInt8],
        version: MAuthProtocolVersion,
        key: MAuthPublicKey,
        appUUID: String,
        time: String,
        variants: Bool
    ) -> Bool {
        for stringToSign in stringsToSign(version: version, appUUID: appUUID, time: time, variants: variants) {
            if Self.verify(signature, of: stringToSign, version: version, key: key) {
                return true
            }
        }
        return false
    }

    static func verify(
        _ signature: [UInt8], of stringToSign: [UInt8], version: MAuthProtocolVersion, key: MAuthPublicKey
    )
        -> Bool
    {
        if version == .v1 {
            return key.key.verifyV1(signature: signature, hexDigest: SHA512.hexDigest(of: stringToSign))
        }
        return stringToSign.withUnsafeBytes { key.key.verifyV2(signature: signature, message: $0) }
    }

    /// The standard string to sign first, then, lazily, the variant forms.
    private func stringsToSign(version: MAuthProtocolVersion, appUUID: String, time: String, variants: Bool)
        -> some Sequence<[UInt8]>
    {
        var pending: [() -> [[UInt8]]] = []
        switch (subject, version) {
        case (.request(let method, let target), .v1):
            let build = { (path: String) in
                body.withUnsafeBytes {
                    MAuthStringToSign.v1(head: [method, path], body: $0, appUUID: appUUID, time: time)
                }
            }
            pending.append { [build(target.path)] }
            if variants, let pythonPath = Self.pythonPath(target.path) {
                pending.append { [build(pythonPath)] }
            }
        case (.request(let method, let target), _):
            let digest = body.withUnsafeBytes { SHA512.hexDigest($0) }
            let path = PathNormalizer.normalize(target.path.utf8)
            let query = QueryCanonicalizer.canonicalize(target.query.utf8)
            let build = { (path: [UInt8], query: [UInt8]) in
                MAuthStringToSign.v2Request(
                    method: method, normalizedPath: path, bodyDigest: digest, appUUID: appUUID, time: time,
                    canonicalQuery: query
                )
            }
            pending.append { [build(path, query)] }
            if variants {
                pending.append {
                    var paths = [path]
                    if PathNormalizer.hasRubyVariant(target.path.utf8) {
                        paths.append(PathNormalizer.normalizeDotSegmentsFirst(target.path.utf8))
                    }
                    if let pythonPath = Self.pythonPath(target.path) {
                        paths.append(PathNormalizer.normalize(pythonPath.utf8))
                    }
                    let queries = [query] + QueryCanonicalizer.variants(of: target.query.utf8)
                    var seen: Set<[UInt8]> = [build(path, query)]
                    return paths.flatMap { candidatePath in
                        queries.map { build(candidatePath, $0) }
                    }.filter { seen.insert($0).inserted }
                }
            }
        case (.response(let status), _):
            pending.append {
                [MAuthStringToSign.response(version: version, status: status, body: body, appUUID: appUUID, time: time)]
            }
        }
        return pending.lazy.flatMap { $0() }
    }

    /// The path the Python client signs: its URL parser cuts `;parameters` off the last path
    /// segment.
    static func pythonPath(_ path: String) -> String? {
        let lastSegmentStart = path.lastIndex(of: "/") ?? path.startIndex
        guard let semicolon = path[lastSegmentStart...].firstIndex(of: ";") else { return nil }
        return String(path[..<semicolon])
    }
}
