public import HTTPTypes

/// Signs requests and responses with an app's private key.
///
/// ```swift
/// let signer = try MAuthSigner(appUUID: appUUID, privateKey: key, versions: [.v1, .v2])
/// var request = HTTPRequest(method: .post, scheme: "https", authority: "api.example.com", path: "/v1/items")
/// try signer.sign(&request, body: body)
/// ```
///
/// Signing takes the time once per message, so the V1 and V2 header pairs carry the same
/// timestamp.
public struct MAuthSigner: Sendable {
    /// The app UUID written into every signature.
    public let appUUID: String
    /// The versions signed when a call does not name its own.
    public let versions: [MAuthProtocolVersion]
    /// The source of the signing time.
    public let clock: MAuthClock
    let privateKey: MAuthPrivateKey

    /// Creates a signer.
    ///
    /// - Parameters:
    ///   - appUUID: the app's UUID, written exactly as given.
    ///   - privateKey: the app's RSA private key.
    ///   - versions: the protocol versions to sign with; `[.v1]` by default, like the other MAuth
    ///     clients.
    ///   - clock: the source of the signing time.
    /// - Throws: ``MAuthError`` with code ``MAuthError/Code-swift.struct/unableToSign`` when the
    ///   app UUID or the version list is empty, or when V1 is requested with a key too small for
    ///   it.
    public init(
        appUUID: String,
        privateKey: MAuthPrivateKey,
        versions: [MAuthProtocolVersion] = [.v1],
        clock: MAuthClock = .system
    ) throws(MAuthError) {
        guard !appUUID.isEmpty, !appUUID.contains(where: { $0 == ":" || $0.isWhitespace }) else {
            throw MAuthError(.unableToSign, "the app UUID must be non-empty and contain no ':' or spaces")
        }
        let versions = Array(Set(versions)).sorted()
        try Self.check(versions: versions, key: privateKey)
        self.appUUID = appUUID
        self.privateKey = privateKey
        self.versions = versions
        self.clock = clock
    }

    /// A signer from parts another signer has already checked.
    init(
        checkedAppUUID appUUID: String, privateKey: MAuthPrivateKey, versions: [MAuthProtocolVersion], clock: MAuthClock
    ) {
        self.appUUID = appUUID
        self.privateKey = privateKey
        self.versions = versions
        self.clock = clock
    }

    /// The authentication and time headers for a request, highest version first.
    ///
    /// - Parameters:
    ///   - method: the HTTP method as it will be sent.
    ///   - target: the path and query exactly as they will be sent.
    ///   - body: the body bytes exactly as they will be sent.
    ///   - versions: overrides the signer's versions for this call.
    public func headers(
        method: String,
        target: MAuthRequestTarget,
        body: some Collection<UInt8>,
        versions: [MAuthProtocolVersion]? = nil
    ) throws(MAuthError) -> HTTPFields {
        guard !method.isEmpty else {
            throw MAuthError(.unableToSign, "Missing required attributes to sign: verb")
        }
        let time = String(clock.now())
        return try headers(versions: versions, time: time) { version in
            MAuthStringToSign.request(
                version: version, method: method, target: target, body: body, appUUID: appUUID, time: time
            )
        }
    }

    /// The authentication and time headers for a response, highest version first.
    public func headers(
        status: Int,
        body: some Collection<UInt8>,
        versions: [MAuthProtocolVersion]? = nil
    ) throws(MAuthError) -> HTTPFields {
        let time = String(clock.now())
        return try headers(versions: versions, time: time) { version in
            MAuthStringToSign.response(version: version, status: status, body: body, appUUID: appUUID, time: time)
        }
    }

    /// Signs a request in place: any MAuth headers it already has are replaced.
    ///
    /// The signature covers `request.method`, the raw `request.path` (path and query as sent)
    /// and `body`.
    public func sign(
        _ request: inout HTTPRequest,
        body: some Collection<UInt8>,
        versions: [MAuthProtocolVersion]? = nil
    ) throws(MAuthError) {
        let fields = try headers(
            method: request.method.rawValue,
            target: MAuthRequestTarget(request.path ?? "/"),
            body: body,
            versions: versions
        )
        request.headerFields.replaceMAuthFields(with: fields)
    }

    /// Signs a response in place: any MAuth headers it already has are replaced.
    public func sign(
        _ response: inout HTTPResponse,
        body: some Collection<UInt8>,
        versions: [MAuthProtocolVersion]? = nil
    ) throws(MAuthError) {
        let fields = try headers(status: response.status.code, body: body, versions: versions)
        response.headerFields.replaceMAuthFields(with: fields)
    }

    /// A digester for the body of a request that ``headers(for:)`` then signs: for a body fed
    /// as it streams, never held whole.
    ///
    /// - Parameters:
    ///   - method: the HTTP method as it will be sent.
    ///   - target: the path and query exactly as they will be sent.
    ///   - versions: overrides the signer's versions for this request.
    public func bodyDigester(
        method: String, target: MAuthRequestTarget, versions: [MAuthProtocolVersion]? = nil
    ) throws(MAuthError) -> MAuthSigningDigester {
        guard !method.isEmpty else {
            throw MAuthError(.unableToSign, "Missing required attributes to sign: verb")
        }
        return MAuthSigningDigester(
            subject: .request(method: method, target: target), versions: try chosenVersions(versions))
    }

    /// A digester for the body of a response with status code `status` that ``headers(for:)``
    /// then signs.
    public func bodyDigester(responseStatus status: Int, versions: [MAuthProtocolVersion]? = nil) throws(MAuthError)
        -> MAuthSigningDigester
    {
        MAuthSigningDigester(subject: .response(status: status), versions: try chosenVersions(versions))
    }

    /// The authentication and time headers for the message whose body `digester` was fed,
    /// highest version first, signed now.
    ///
    /// - Throws: ``MAuthError`` with code ``MAuthError/Code-swift.struct/unableToSign`` when the
    ///   digester has signed a message already.
    public func headers(for digester: MAuthSigningDigester) throws(MAuthError) -> HTTPFields {
        let time = String(clock.now())
        let digests = try digester.finish(appUUID: appUUID, time: time)
        var fields = HTTPFields()
        for version in digester.versions.reversed() {
            let signature: [UInt8]
            if version == .v1, let hexDigest = digests.v1StringToSign {
                signature = try privateKey.key.signV1(hexDigest: hexDigest)
            } else if let bodyDigest = digests.body {
                let stringToSign: [UInt8] =
                    switch digester.subject {
                    case .request(let method, let target):
                        MAuthStringToSign.v2Request(
                            method: method, normalizedPath: PathNormalizer.normalize(target.path.utf8),
                            bodyDigest: bodyDigest, appUUID: appUUID, time: time,
                            canonicalQuery: QueryCanonicalizer.canonicalize(target.query.utf8))
                    case .response(let status):
                        MAuthStringToSign.v2Response(
                            status: status, bodyDigest: bodyDigest, appUUID: appUUID, time: time)
                    }
                signature = try stringToSign.withUnsafeBytes { bytes in
                    Result { () throws(MAuthError) in try privateKey.key.signV2(message: bytes) }
                }.get()
            } else {
                continue
            }
            fields.append(
                HTTPField(
                    name: version.authenticationHeader,
                    value: version.authenticationHeaderValue(appUUID: appUUID, signature: Base64.encode(signature))))
            fields.append(HTTPField(name: version.timeHeader, value: time))
        }
        return fields
    }

    /// The authentication and time headers for a request whose body is read from `body` as it
    /// streams, highest version first.
    ///
    /// - Throws: ``MAuthError`` when the request cannot be signed, or what reading `body` throws.
    public func headers<Body: AsyncSequence>(
        method: String, target: MAuthRequestTarget, streamedBody body: Body, versions: [MAuthProtocolVersion]? = nil
    ) async throws -> HTTPFields where Body.Element: Collection<UInt8> {
        let digester = try bodyDigester(method: method, target: target, versions: versions)
        for try await part in body { digester.update(part) }
        return try headers(for: digester)
    }

    /// The Base64 signature of an already built string to sign.
    public func signature(of stringToSign: [UInt8], version: MAuthProtocolVersion) throws(MAuthError) -> String {
        let signature: [UInt8]
        if version == .v1 {
            signature = try privateKey.key.signV1(hexDigest: SHA512.hexDigest(of: stringToSign))
        } else {
            signature = try stringToSign.withUnsafeBytes { bytes in
                Result { () throws(MAuthError) in try privateKey.key.signV2(message: bytes) }
            }.get()
        }
        return Base64.encode(signature)
    }

    private func headers(
        versions requested: [MAuthProtocolVersion]?,
        time: String,
        stringToSign: (MAuthProtocolVersion) -> [UInt8]
    ) throws(MAuthError) -> HTTPFields {
        let chosen = try chosenVersions(requested)
        var fields = HTTPFields()
        for version in chosen.reversed() {
            let signature = try signature(of: stringToSign(version), version: version)
            fields.append(
                HTTPField(
                    name: version.authenticationHeader,
                    value: version.authenticationHeaderValue(appUUID: appUUID, signature: signature)))
            fields.append(HTTPField(name: version.timeHeader, value: time))
        }
        return fields
    }

    /// The signer's versions, or `requested` once checked against the key.
    private func chosenVersions(_ requested: [MAuthProtocolVersion]?) throws(MAuthError) -> [MAuthProtocolVersion] {
        guard let requested else { return versions }
        let chosen = Array(Set(requested)).sorted()
        try Self.check(versions: chosen, key: privateKey)
        return chosen
    }

    private static func check(versions: [MAuthProtocolVersion], key: MAuthPrivateKey) throws(MAuthError) {
        guard !versions.isEmpty else {
            throw MAuthError(.unableToSign, "no protocol version to sign with; choose v1, v2 or both")
        }
        if versions.contains(.v1), key.key.byteCount < EVPKey.minimumV1ModulusBytes {
            throw MAuthError(
                .unableToSign,
                "V1 signing needs an RSA key of more than 1104 bits; this key has \(key.bits) bits (sign with v2 or use a 2048-bit key)"
            )
        }
    }
}
