public import HTTPTypes

/// Finds out why a request's signature does not match it.
///
/// An RSA PKCS#1 v1.5 signature opens with the signer's public key: what comes out is the digest
/// that was signed (V2) or the hex digest of the string to sign (V1). The explainer compares it
/// with the digests of the strings that other MAuth clients, or common mistakes, would have built
/// for the same request (each known client variant, the other protocol version, another time
/// within the allowed drift, a decoded or re-encoded path, the query with or without empty
/// pieces, no body) and names the one that matches.
///
/// ```swift
/// let explainer = MAuthSignatureExplainer(keyProvider: keys)
/// for explanation in try await explainer.explain(method: "GET", target: target, headers: headers, body: body) {
///     print(explanation)
/// }
/// ```
///
/// The reports are for the developer, in a CLI or a debug log: never return them to a caller.
public struct MAuthSignatureExplainer: Sendable {
    /// Where the signers' public keys come from.
    public let keyProvider: any PublicKeyProvider
    /// The drift window searched for a signature made at another time.
    public let allowedDrift: Duration

    /// Creates an explainer.
    public init(keyProvider: any PublicKeyProvider, allowedDrift: Duration = .seconds(300)) {
        self.keyProvider = keyProvider
        self.allowedDrift = allowedDrift
    }

    /// One explanation per version whose authentication header is present and readable, V2
    /// first.
    ///
    /// - Throws: ``MAuthError`` when a signer's public key cannot be found.
    public func explain(
        method: String,
        target: MAuthRequestTarget,
        headers: HTTPFields,
        body: some Collection<UInt8>
    ) async throws(MAuthError) -> [MAuthSignatureExplanation] {
        let body = Array(body)
        var explanations: [MAuthSignatureExplanation] = []
        for version in [MAuthProtocolVersion.v2, .v1] {
            guard let value = headers[version.authenticationHeader],
                let header = try? AuthenticationHeaderValue.parse(value, version: version),
                let signature = Base64.decode(header.signature)
            else { continue }
            let key = try await PublicKeyVerifier.publicKey(forAppUUID: header.appUUID, from: keyProvider)
            let request = SignedRequest(
                method: method, target: target, body: body, appUUID: header.appUUID,
                time: headers[version.timeHeader] ?? "")
            explanations.append(explain(signature, version: version, request: request, key: key))
        }
        return explanations
    }

    private func explain(
        _ signature: [UInt8], version: MAuthProtocolVersion, request: SignedRequest, key: MAuthPublicKey
    )
        -> MAuthSignatureExplanation
    {
        let expected = request.standardStringToSign(version: version)
        func explanation(
            _ finding: MAuthSignatureExplanation.Finding, signed: [UInt8]?, as signedVersion: MAuthProtocolVersion
        )
            -> MAuthSignatureExplanation
        {
            MAuthSignatureExplanation(
                version: version, appUUID: request.appUUID, finding: finding, expectedStringToSign: expected,
                signedStringToSign: signed, signedVersion: signedVersion)
        }
        guard let payload = key.key.recoverSignedPayload(signature: signature) else {
            return explanation(.notMadeWithThisKey, signed: nil, as: version)
        }
        let signed = SignedDigest(payload: payload)
        guard let signedVersion = signed.version else {
            if case .otherDigest(let algorithm) = signed {
                return explanation(
                    .madeOverDifferentString("a \(algorithm) digest, where MAuth signs SHA-512"), signed: nil,
                    as: version)
            }
            return explanation(.noCandidateMatches, signed: nil, as: version)
        }
        let otherHeader =
            signedVersion == version
            ? nil : "a \(signedVersion) signature in the \(version.authenticationHeader.rawName) header"
        for candidate in request.candidates(version: signedVersion, allowedDrift: allowedDrift.wholeSeconds) {
            let stringToSign = candidate.build()
            guard signed.matches(stringToSign) else { continue }
            let differences = [otherHeader].compactMap { $0 } + candidate.differences
            if differences.isEmpty {
                return explanation(.matchesExpected, signed: stringToSign, as: signedVersion)
            }
            return explanation(
                .madeOverDifferentString(differences.joined(separator: "; ")), signed: stringToSign, as: signedVersion)
        }
        return explanation(.noCandidateMatches, signed: nil, as: version)
    }
}

/// What a signature's padding held.
private enum SignedDigest {
    /// V1: the 128 lower-case hex characters of the SHA-512 digest.
    case v1(hexDigest: [UInt8])
    /// V2: a DigestInfo naming SHA-512.
    case v2(digest: [UInt8])
    /// A DigestInfo naming another algorithm.
    case otherDigest(String)
    case unrecognized

    /// The DER prefixes of the DigestInfo structures for the algorithms a client might use.
    private static let digestInfoPrefixes: [(algorithm: String, prefix: [UInt8])] = [
        (
            "SHA-512",
            [
                0x30, 0x51, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00,
                0x04, 0x40,
            ]
        ),
        (
            "SHA-384",
            [
                0x30, 0x41, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00,
                0x04, 0x30,
            ]
        ),
        (
            "SHA-256",
            [
                0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
                0x04, 0x20,
            ]
        ),
        ("SHA-1", [0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2B, 0x0E, 0x03, 0x02, 0x1A, 0x05, 0x00, 0x04, 0x14]),
    ]

    init(payload: [UInt8]) {
        if payload.count == SHA512.hexCount, payload.allSatisfy(Self.isLowerHex) {
            self = .v1(hexDigest: payload)
            return
        }
        for (algorithm, prefix) in Self.digestInfoPrefixes where payload.starts(with: prefix) {
            self =
                algorithm == "SHA-512" ? .v2(digest: Array(payload.dropFirst(prefix.count))) : .otherDigest(algorithm)
            return
        }
        self = .unrecognized
    }

    var version: MAuthProtocolVersion? {
        switch self {
        case .v1: .v1
        case .v2: .v2
        case .otherDigest, .unrecognized: nil
        }
    }

    func matches(_ stringToSign: [UInt8]) -> Bool {
        switch self {
        case .v1(let hexDigest): SHA512.hexDigest(of: stringToSign) == hexDigest
        case .v2(let digest): stringToSign.withUnsafeBytes { SHA512.digest($0) } == digest
        case .otherDigest, .unrecognized: false
        }
    }

    private static func isLowerHex(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }
}
