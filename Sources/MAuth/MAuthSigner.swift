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
    private let privateKey: MAuthPrivateKey

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
        var chosen = versions
        if let requested {
            chosen = Array(Set(requested)).sorted()
            try Self.check(versions: chosen, key: privateKey)
        }
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
