import HTTPTypes

/// A received request and the signer's claims about it, and every string to sign that a client
/// could plausibly have built for it: what ``MAuthSignatureExplainer`` searches.
struct SignedRequest {
    /// A string to sign, built when it is tried, and how it differs from the expected one; no
    /// differences for the expected one itself.
    struct Candidate {
        let differences: [String]
        let build: () -> [UInt8]
    }

    /// A V1 body above this size is not searched at other times: each try hashes the whole body.
    static let largestV1BodySearchedAtOtherTimes = 64 << 10
    /// The widest drift searched, each way, in seconds.
    static let largestDriftSearched: Int64 = 3600

    /// One field's alternatives: the expected form first (no difference), then the others.
    private typealias Forms<Value> = [(difference: String?, value: Value)]

    let method: String
    let target: MAuthRequestTarget
    let body: [UInt8]
    let appUUID: String
    let time: String

    func standardStringToSign(version: MAuthProtocolVersion) -> [UInt8] {
        MAuthStringToSign.request(
            version: version, method: method, target: target, body: body, appUUID: appUUID, time: time)
    }

    /// The expected string first, then those with one difference, then two and more, then the
    /// expected string at every other time within `allowedDrift` of the time header.
    func candidates(version: MAuthProtocolVersion, allowedDrift: Int64) -> some Sequence<Candidate> {
        let combined = version == .v1 ? v1Candidates() : v2Candidates()
        let fewestDifferencesFirst = combined.enumerated()
            .sorted { ($0.element.differences.count, $0.offset) < ($1.element.differences.count, $1.offset) }
            .map(\.element)
        return [
            AnySequence(fewestDifferencesFirst), AnySequence(otherTimes(version: version, allowedDrift: allowedDrift)),
        ]
        .joined()
    }

    private var methods: Forms<String> {
        var forms: Forms<String> = [(nil, method)]
        if method.lowercased() != method { forms.append(("the method in lower case", method.lowercased())) }
        return forms
    }

    private var appUUIDs: Forms<String> {
        var forms: Forms<String> = [(nil, appUUID)]
        for (difference, other) in [("lower", appUUID.lowercased()), ("upper", appUUID.uppercased())]
        where other != appUUID {
            forms.append(("the app UUID in \(difference) case", other))
        }
        return forms
    }

    private func bodies<Value>(_ form: ([UInt8]) -> Value) -> Forms<Value> {
        body.isEmpty ? [(nil, form(body))] : [(nil, form(body)), ("an empty body (the body was not signed)", form([]))]
    }

    /// The percent-decoded path and the decoded path encoded again, when they differ from the
    /// path received.
    private var decodedPaths: Forms<[UInt8]> {
        let raw = Array(target.path.utf8)
        let decoded = PercentEncoding.decode(raw)
        var forms: Forms<[UInt8]> = []
        if decoded != raw { forms.append(("the percent-decoded path", decoded)) }
        let encoded = PercentEncoding.encode(decoded)
        if encoded != raw, encoded != decoded { forms.append(("the path percent-encoded again", encoded)) }
        return forms
    }

    private func v2Candidates() -> [Candidate] {
        let raw = Array(target.path.utf8)
        var paths: Forms<[UInt8]> = [(nil, PathNormalizer.normalize(raw))]
        if PathNormalizer.hasRubyVariant(raw) {
            paths.append(
                (
                    "the path with dot segments removed before '//' (the Ruby client)",
                    PathNormalizer.normalizeDotSegmentsFirst(raw)
                ))
        }
        if let pythonPath = SignedMessage.pythonPath(target.path) {
            paths.append(
                (
                    "the path without the last segment's ;parameters (the Python client)",
                    PathNormalizer.normalize(pythonPath.utf8)
                ))
        }
        paths += decodedPaths.map { ($0.difference, PathNormalizer.normalize($0.value)) }
        paths.append(("the path not normalized (the Go client)", raw))

        let rawQuery = Array(target.query.utf8)
        var queries: Forms<[UInt8]> = [(nil, QueryCanonicalizer.canonicalize(rawQuery))]
        queries += QueryCanonicalizer.clientVariants(of: rawQuery).map { ($0.difference, $0.form) }
        if !rawQuery.isEmpty {
            queries.append(("the query as received, not canonicalized", rawQuery))
            queries.append(("no query", []))
        }
        let digests = bodies { SHA512.hexDigest(of: $0) }
        var candidates: [Candidate] = []
        for method in methods {
            for path in paths {
                for digest in digests {
                    for appUUID in appUUIDs {
                        for query in queries {
                            candidates.append(
                                Candidate(
                                    differences: [
                                        method.difference, path.difference, digest.difference, appUUID.difference,
                                        query.difference,
                                    ]
                                    .compactMap { $0 },
                                    build: {
                                        MAuthStringToSign.v2Request(
                                            method: method.value, normalizedPath: path.value, bodyDigest: digest.value,
                                            appUUID: appUUID.value, time: time, canonicalQuery: query.value)
                                    }
                                ))
                        }
                    }
                }
            }
        }
        return candidates
    }

    private func v1Candidates() -> [Candidate] {
        var paths: Forms<String> = [(nil, target.path)]
        if let pythonPath = SignedMessage.pythonPath(target.path) {
            paths.append(("the path without the last segment's ;parameters (the Python client)", pythonPath))
        }
        paths += decodedPaths.map { ($0.difference, String(decoding: $0.value, as: UTF8.self)) }
        if !target.query.isEmpty {
            paths.append(("the path with its query (V1 signs the path only)", target.description))
        }
        let normalized = String(decoding: PathNormalizer.normalize(target.path.utf8), as: UTF8.self)
        if normalized != target.path { paths.append(("the path normalized as V2 does", normalized)) }
        var candidates: [Candidate] = []
        for method in methods {
            for path in paths {
                for body in bodies({ $0 }) {
                    for appUUID in appUUIDs {
                        candidates.append(
                            Candidate(
                                differences: [method.difference, path.difference, body.difference, appUUID.difference]
                                    .compactMap { $0 },
                                build: {
                                    body.value.withUnsafeBytes {
                                        MAuthStringToSign.v1(
                                            head: [method.value, path.value], body: $0, appUUID: appUUID.value,
                                            time: time)
                                    }
                                }
                            ))
                    }
                }
            }
        }
        return candidates
    }

    /// The expected string signed at each other second within the drift window of the time
    /// header: a client whose time header and signature disagree. Only a time header of the form
    /// the authenticator accepts (at most 18 digits) is searched, and the window is at most an
    /// hour each way.
    private func otherTimes(version: MAuthProtocolVersion, allowedDrift: Int64) -> some Sequence<Candidate> {
        var offsets: [Int64] = []
        let isTime =
            time.utf8.count <= 18 && time.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
        let headerTime = isTime ? Int64(time) : nil
        if headerTime != nil, version == .v2 || body.count <= Self.largestV1BodySearchedAtOtherTimes {
            let drift = min(max(allowedDrift, 0), Self.largestDriftSearched)
            offsets = (-drift...drift).filter { $0 != 0 }
        }
        let fields = (
            path: PathNormalizer.normalize(target.path.utf8), digest: SHA512.hexDigest(of: body),
            query: QueryCanonicalizer.canonicalize(target.query.utf8)
        )
        return offsets.lazy.map { offset in
            let signedTime = String(headerTime! + offset)
            return Candidate(
                differences: [
                    "the time \(signedTime), \(offset) s from the \(version.timeHeader.rawName) header's \(time)"
                ],
                build: {
                    guard version == .v2 else {
                        return body.withUnsafeBytes {
                            MAuthStringToSign.v1(
                                head: [method, target.path], body: $0, appUUID: appUUID, time: signedTime)
                        }
                    }
                    return MAuthStringToSign.v2Request(
                        method: method, normalizedPath: fields.path, bodyDigest: fields.digest, appUUID: appUUID,
                        time: signedTime, canonicalQuery: fields.query)
                }
            )
        }
    }
}
