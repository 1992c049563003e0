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
        switch (subject, version) {
        case (.request(let method, let target), .v1):
            func stringToSign(path: String) -> [UInt8] {
                body.withUnsafeBytes {
                    MAuthStringToSign.v1(head: [method, path], body: $0, appUUID: appUUID, time: time)
                }
            }
            if Self.verify(signature, of: stringToSign(path: target.path), version: version, key: key) { return true }
            guard variants, let pythonPath = Self.pythonPath(target.path) else { return false }
            return Self.verify(signature, of: stringToSign(path: pythonPath), version: version, key: key)
        case (.request(let method, let target), _):
            let digest = body.withUnsafeBytes { SHA512.hexDigest($0) }
            func stringToSign(path: [UInt8], query: [UInt8]) -> [UInt8] {
                MAuthStringToSign.v2Request(
                    method: method, normalizedPath: path, bodyDigest: digest, appUUID: appUUID, time: time,
                    canonicalQuery: query
                )
            }
            let path = PathNormalizer.normalize(target.path.utf8)
            let query = QueryCanonicalizer.canonicalize(target.query.utf8)
            let canonical = stringToSign(path: path, query: query)
            if Self.verify(signature, of: canonical, version: version, key: key) { return true }
            guard variants else { return false }
            // What other clients sign instead, tried only once the canonical string has failed.
            var paths = [path]
            if PathNormalizer.hasRubyVariant(target.path.utf8) {
                paths.append(PathNormalizer.normalizeDotSegmentsFirst(target.path.utf8))
            }
            if let pythonPath = Self.pythonPath(target.path) {
                paths.append(PathNormalizer.normalize(pythonPath.utf8))
            }
            let queries = [query] + QueryCanonicalizer.variants(of: target.query.utf8)
            var tried: Set<[UInt8]> = [canonical]
            for candidatePath in paths {
                for candidateQuery in queries {
                    let candidate = stringToSign(path: candidatePath, query: candidateQuery)
                    if tried.insert(candidate).inserted,
                        Self.verify(signature, of: candidate, version: version, key: key)
                    {
                        return true
                    }
                }
            }
            return false
        case (.response(let status), _):
            let stringToSign = MAuthStringToSign.response(
                version: version, status: status, body: body, appUUID: appUUID, time: time)
            return Self.verify(signature, of: stringToSign, version: version, key: key)
        }
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

    /// The path the Python client signs: its URL parser cuts `;parameters` off the last path
    /// segment.
    static func pythonPath(_ path: String) -> String? {
        let lastSegmentStart = path.lastIndex(of: "/") ?? path.startIndex
        guard let semicolon = path[lastSegmentStart...].firstIndex(of: ";") else { return nil }
        return String(path[..<semicolon])
    }
}
