/// A received request or response, reduced to what its signature covers.
struct SignedMessage {
    enum Subject {
        case request(method: String, target: MAuthRequestTarget)
        case response(status: Int)
    }

    /// The body as received, or what was computed of it as it streamed past.
    enum Body {
        case bytes([UInt8])
        case digest(MAuthBodyDigest)
    }

    let subject: Subject
    let body: Body

    init(subject: Subject, body: some Collection<UInt8>) {
        self.subject = subject
        self.body = .bytes(Array(body))
    }

    init(subject: Subject, bodyDigest: MAuthBodyDigest) {
        self.subject = subject
        self.body = .digest(bodyDigest)
    }

    /// The body's bytes; none when only its digest is known.
    var bodyBytes: [UInt8] {
        if case .bytes(let bytes) = body { return bytes }
        return []
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
            func verifies(path: String) -> Bool {
                guard let digest = v1HexDigest(head: [method, path], digestKey: path, appUUID: appUUID, time: time)
                else { return false }
                return key.key.verifyV1(signature: signature, hexDigest: digest)
            }
            if verifies(path: target.path) { return true }
            guard variants, let pythonPath = Self.pythonPath(target.path) else { return false }
            return verifies(path: pythonPath)
        case (.request(let method, let target), _):
            guard let digest = bodyHexDigest else { return false }
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
        case (.response(let status), .v1):
            guard let digest = v1HexDigest(head: [String(status)], digestKey: "", appUUID: appUUID, time: time)
            else { return false }
            return key.key.verifyV1(signature: signature, hexDigest: digest)
        case (.response(let status), _):
            guard let digest = bodyHexDigest else { return false }
            let stringToSign = MAuthStringToSign.v2Response(
                status: status, bodyDigest: digest, appUUID: appUUID, time: time)
            return Self.verify(signature, of: stringToSign, version: version, key: key)
        }
    }

    /// The SHA-512 of the body, in hexadecimal ASCII; `nil` for a streamed body whose message
    /// carried no V2 signature while it streamed.
    private var bodyHexDigest: [UInt8]? {
        switch body {
        case .bytes(let bytes): bytes.withUnsafeBytes { SHA512.hexDigest($0) }
        case .digest(let digest): digest.bodyHexDigest
        }
    }

    /// The SHA-512 of the V1 string to sign that begins with `head`, in hexadecimal ASCII; for a
    /// streamed body, the one computed for `digestKey` as it streamed, if any.
    private func v1HexDigest(head: [String], digestKey: String, appUUID: String, time: String) -> [UInt8]? {
        switch body {
        case .bytes(let bytes):
            let stringToSign = bytes.withUnsafeBytes {
                MAuthStringToSign.v1(head: head, body: $0, appUUID: appUUID, time: time)
            }
            return SHA512.hexDigest(of: stringToSign)
        case .digest(let digest):
            return digest.v1HexDigests[digestKey]
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
