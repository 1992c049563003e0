public import HTTPTypes
public import Logging
public import Metrics
import Tracing

/// Checks the MAuth signature of a request or response (PROTOCOL.md §6).
///
/// ```swift
/// let authenticator = MAuthAuthenticator(keyProvider: DirectoryPublicKeyProvider(directory: "keys"))
/// let identity = try await authenticator.authenticate(request, body: body)
/// print(identity.appUUID, identity.version)
/// ```
///
/// V2 is preferred when a message carries both versions; when V2 is inauthentic and fallback is
/// allowed, the V1 headers are tried. Every failure is an ``MAuthError`` whose code is
/// ``MAuthError/Code-swift.struct/inauthentic`` (answer 401) or
/// ``MAuthError/Code-swift.struct/unableToAuthenticate`` (answer 500), with the message of the
/// other MAuth clients.
public struct MAuthAuthenticator: Sendable {
    /// How strictly messages are checked.
    public struct Options: Sendable {
        /// How far the signed time may lie from the authenticator's clock, in either direction;
        /// 300 seconds by default. The bound is inclusive, in whole seconds (a fraction is dropped).
        public var allowedDrift: Duration
        /// Reject V1-only messages and never fall back to V1.
        public var v2Only: Bool
        /// Try the V1 headers when the V2 signature is inauthentic; on by default.
        public var fallbackToV1: Bool
        /// Accept the canonical forms that other MAuth clients produce for unusual paths and
        /// queries (PROTOCOL.md §4), so that no real client is rejected for a canonicalization
        /// quirk; on by default. Only tried when the standard form does not verify.
        public var acceptsClientVariants: Bool
        /// The clock the drift window is measured against.
        public var clock: MAuthClock

        /// Creates options; the defaults follow PROTOCOL.md.
        public init(
            allowedDrift: Duration = .seconds(300),
            v2Only: Bool = false,
            fallbackToV1: Bool = true,
            acceptsClientVariants: Bool = true,
            clock: MAuthClock = .system
        ) {
            self.allowedDrift = allowedDrift
            self.v2Only = v2Only
            self.fallbackToV1 = fallbackToV1
            self.acceptsClientVariants = acceptsClientVariants
            self.clock = clock
        }
    }

    /// What checks the signature once time, token and header form have passed.
    public let verifier: any MAuthSignatureVerifier
    /// How strictly messages are checked.
    public let options: Options
    private let logger: Logger
    private let metrics: AuthenticationMetrics

    /// Creates an authenticator that verifies signatures itself with keys from `keyProvider`
    /// (local mode).
    ///
    /// - Parameters:
    ///   - keyProvider: where the signers' public keys come from; a key it does not know is
    ///     inauthentic (401), a lookup that throws is unable-to-authenticate (500).
    ///   - options: the drift window, V2-only, the V1 fallback and the client variants.
    ///   - logger: where the V1-fallback warning and the failures' reasons go.
    ///   - metricsFactory: where the counters and timer go (see
    ///     ``init(verifier:options:logger:metricsFactory:)``).
    public init(
        keyProvider: any PublicKeyProvider,
        options: Options = Options(),
        logger: Logger = Logger(label: "mauth.authenticator"),
        metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) {
        self.init(
            verifier: PublicKeyVerifier(keyProvider: keyProvider), options: options, logger: logger,
            metricsFactory: metricsFactory)
    }

    /// The verifier that checks signatures with keys from `keyProvider`: the one
    /// ``init(keyProvider:options:logger:metricsFactory:)`` uses.
    public static func localVerifier(keyProvider: any PublicKeyProvider) -> any MAuthSignatureVerifier {
        PublicKeyVerifier(keyProvider: keyProvider)
    }

    /// What explains a failed signature with the keys this authenticator checks against; `nil`
    /// when a MAuth service checks the signatures (remote mode), since no key is at hand.
    public var explainer: MAuthSignatureExplainer? {
        guard let local = verifier as? PublicKeyVerifier else { return nil }
        return MAuthSignatureExplainer(keyProvider: local.keyProvider, allowedDrift: options.allowedDrift)
    }

    /// Creates an authenticator that hands the signature check to `verifier`, such as a MAuth
    /// service in remote mode. Time, token and header form are still checked here first.
    ///
    /// - Parameters:
    ///   - verifier: what checks a signature once time, token and header form have passed.
    ///   - options: the drift window, V2-only, the V1 fallback and the client variants.
    ///   - logger: where the V1-fallback warning and the failures' reasons go.
    ///   - metricsFactory: where the counters and timer go: `mauth_authentications_total`
    ///     (by `result` and `version`), `mauth_authentication_duration_seconds` and `mauth_v1_fallbacks_total`,
    ///     the requests accepted on their V1 signature after their V2 signature failed.
    public init(
        verifier: any MAuthSignatureVerifier,
        options: Options = Options(),
        logger: Logger = Logger(label: "mauth.authenticator"),
        metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) {
        self.verifier = verifier
        self.options = options
        self.logger = logger
        self.metrics = AuthenticationMetrics(factory: metricsFactory)
    }

    /// Authenticates a request.
    ///
    /// - Parameters:
    ///   - request: the request head; `path` must be the raw request target as received.
    ///   - body: the body bytes as received.
    /// - Returns: the signer's identity.
    /// - Throws: ``MAuthError`` (inauthentic or unable to authenticate).
    public func authenticate(_ request: HTTPRequest, body: some Collection<UInt8>) async throws(MAuthError)
        -> MAuthIdentity
    {
        try await authenticate(
            method: request.method.rawValue,
            target: MAuthRequestTarget(request.path ?? "/"),
            headers: request.headerFields,
            body: body
        )
    }

    /// Authenticates a request given as method, raw target, headers and body.
    public func authenticate(
        method: String,
        target: MAuthRequestTarget,
        headers: HTTPFields,
        body: some Collection<UInt8>
    ) async throws(MAuthError) -> MAuthIdentity {
        try await measure(SignedMessage(subject: .request(method: method, target: target), body: body), headers)
    }

    /// Whether messages can be authenticated from the digest of a streamed body
    /// (``authenticate(method:target:headers:bodyDigest:)``): true when this authenticator checks
    /// signatures itself; a MAuth service in remote mode needs the body's bytes.
    public var verifiesBodyDigests: Bool { verifier.verifiesBodyDigests }

    /// Authenticates a request whose body was digested as it streamed (``MAuthBodyDigester``),
    /// exactly as ``authenticate(method:target:headers:body:)`` would with the body's bytes.
    ///
    /// - Parameters:
    ///   - method: the HTTP method as received.
    ///   - target: the raw target the digester was made with.
    ///   - headers: the request's header fields.
    ///   - bodyDigest: the digester's result.
    /// - Throws: ``MAuthError``; unable-to-authenticate when the verifier needs the body's bytes
    ///   (``verifiesBodyDigests`` is `false`).
    public func authenticate(
        method: String,
        target: MAuthRequestTarget,
        headers: HTTPFields,
        bodyDigest: MAuthBodyDigest
    ) async throws(MAuthError) -> MAuthIdentity {
        try requireDigestVerifier()
        return try await measure(
            SignedMessage(subject: .request(method: method, target: target), bodyDigest: bodyDigest), headers)
    }

    /// Authenticates a signed response whose body was digested as it streamed.
    public func authenticate(_ response: HTTPResponse, bodyDigest: MAuthBodyDigest) async throws(MAuthError)
        -> MAuthIdentity
    {
        try requireDigestVerifier()
        return try await measure(
            SignedMessage(subject: .response(status: response.status.code), bodyDigest: bodyDigest),
            response.headerFields)
    }

    private func requireDigestVerifier() throws(MAuthError) {
        guard verifiesBodyDigests else {
            throw MAuthError(
                .unableToAuthenticate, "This authenticator's verifier needs the body, not its digest.")
        }
    }

    /// Authenticates a signed response (PROTOCOL.md §3.4, §9.2).
    public func authenticate(_ response: HTTPResponse, body: some Collection<UInt8>) async throws(MAuthError)
        -> MAuthIdentity
    {
        try await measure(
            SignedMessage(subject: .response(status: response.status.code), body: body), response.headerFields)
    }

    /// Authenticates inside a `mauth.authenticate` span, whose attributes name the app, the
    /// protocol version and the result, and counts and times the outcome.
    private func measure(_ message: SignedMessage, _ headers: HTTPFields) async throws(MAuthError) -> MAuthIdentity {
        let start = ContinuousClock.now
        // Finding the tracer costs dynamic casts; with no instrument bootstrapped, none is looked for.
        let span = InstrumentationSystem.instrument is NoOpInstrument ? nil : startSpan("mauth.authenticate")
        defer {
            span?.end()
            metrics.duration.record(duration: start.duration(to: .now))
        }
        do {
            let identity = try await authenticate(message, headers: headers)
            metrics.countAuthentic(version: identity.version)
            if let span {
                span.attributes["mauth.app_uuid"] = identity.appUUID
                span.attributes["mauth.protocol_version"] = identity.version.number
                span.attributes["mauth.result"] = "authentic"
            }
            return identity
        } catch {
            let outcome: AuthenticationMetrics.Outcome = error.code == .inauthentic ? .inauthentic : .unable
            let claimed = Self.claimedSigner(in: headers)
            metrics.countFailure(inauthentic: outcome == .inauthentic, claimedVersion: claimed?.version)
            if let span {
                if let claimed {
                    span.attributes["mauth.app_uuid"] = claimed.appUUID
                    span.attributes["mauth.protocol_version"] = claimed.version.number
                }
                span.attributes["mauth.result"] = outcome.rawValue
                span.setStatus(SpanStatus(code: .error, message: error.message))
            }
            throw error
        }
    }

    /// The app UUID and version of the first readable authentication header, V2 first: who a
    /// failed request claims to come from.
    private static func claimedSigner(in headers: HTTPFields) -> MAuthIdentity? {
        for version in [MAuthProtocolVersion.v2, .v1] {
            if let value = headers[version.authenticationHeader],
                let header = try? AuthenticationHeaderValue.parse(value, version: version)
            {
                return MAuthIdentity(appUUID: header.appUUID, version: version)
            }
        }
        return nil
    }

    private func authenticate(_ message: SignedMessage, headers: HTTPFields) async throws(MAuthError) -> MAuthIdentity {
        let fields = ProtocolFieldValues(headers)
        if let name = fields.repeated {
            throw MAuthError(
                .inauthentic, "Authentication Failed. The request has more than one \(name.rawName) header.")
        }
        let v2Header = presentValue(fields.authentication(.v2))
        let v1Header = presentValue(fields.authentication(.v1))
        if let v2Header {
            do {
                return try await authenticate(message, version: .v2, headerValue: v2Header, fields: fields)
            } catch  where error.code == .inauthentic && !options.v2Only && options.fallbackToV1 {
                guard let v1Header, (try? AuthenticationHeaderValue.parse(v1Header, version: .v1)) != nil else {
                    throw error
                }
                logger.debug("V2 authentication failed, falling back to V1", metadata: ["reason": "\(error.message)"])
                let identity = try await authenticate(message, version: .v1, headerValue: v1Header, fields: fields)
                // A V1 signature does not cover the query: the operator needs to find this caller
                // to decide whether to turn the fallback off.
                metrics.v1Fallbacks.increment()
                logger.warning(
                    "Completed successful authentication attempt after fallback to v1",
                    metadata: message.fallbackMetadata(appUUID: identity.appUUID, v2Failure: error.message))
                return identity
            }
        }
        if v1Header != nil, options.v2Only {
            throw MAuthError(
                .inauthentic,
                "This service requires mAuth v2 mcc-authentication header but only v1 x-mws-authentication is present"
            )
        }
        if let v1Header {
            return try await authenticate(message, version: .v1, headerValue: v1Header, fields: fields)
        }
        let v1Clause = options.v2Only ? "" : "X-MWS-Authentication header is blank, "
        throw MAuthError(
            .inauthentic,
            "Authentication Failed. No mAuth signature present; \(v1Clause)MCC-Authentication header is blank."
        )
    }

    private func presentValue(_ value: String?) -> String? {
        guard let value, !value.trimmingASCIIWhitespace().isEmpty else { return nil }
        return value
    }

    /// One version's checks, in the order of PROTOCOL.md §6.1: time, token, key, signature.
    private func authenticate(
        _ message: SignedMessage,
        version: MAuthProtocolVersion,
        headerValue: String,
        fields: ProtocolFieldValues
    ) async throws(MAuthError) -> MAuthIdentity {
        let time = try checkedTime(fields.time(version), version: version)
        let header = try AuthenticationHeaderValue.parse(headerValue, version: version)
        guard let signature = Base64.decode(header.signature) else {
            throw MAuthError(
                .inauthentic, "Signature verification failed for \(message.kind). The signature is not valid Base64.")
        }
        try await verifier.verify(
            MAuthSignatureCheck(
                version: version,
                appUUID: header.appUUID,
                signature: signature,
                time: time,
                message: message,
                acceptsClientVariants: options.acceptsClientVariants
            )
        )
        return MAuthIdentity(appUUID: header.appUUID, version: version)
    }

    /// The time header as received, after checking its form (ASCII digits, at most 18) and the
    /// drift window.
    private func checkedTime(_ value: String?, version: MAuthProtocolVersion) throws(MAuthError) -> String {
        let name = version.timeHeader.rawName
        guard let value, !value.isEmpty else {
            throw MAuthError(.inauthentic, "Time verification failed. No \(name) present.")
        }
        guard value.utf8.count <= 18, value.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            let signedTime = Int64(value)
        else {
            throw MAuthError(.inauthentic, "Time verification failed. \(name) header format incorrect.")
        }
        let now = options.clock.now()
        let allowedDrift = options.allowedDrift.wholeSeconds
        guard abs(now - signedTime) <= allowedDrift else {
            throw MAuthError(
                .inauthentic,
                "Time verification failed. \(value) not within \(allowedDrift)s of \(now)"
            )
        }
        return value
    }
}

/// The counters and timer every authenticator reports to swift-metrics.
private struct AuthenticationMetrics: Sendable {
    enum Outcome: String {
        case authentic
        case inauthentic
        case unable = "unable_to_authenticate"
    }

    /// `mauth_authentications_total` of authentic requests, by the version signed with (V1, V2).
    private let authentic: [Counter]
    /// `mauth_authentications_total` of failures (inauthentic, unable to authenticate), by the
    /// version claimed (V1, V2, or none readable).
    private let failures: [[Counter]]
    let v1Fallbacks: Counter
    let duration: Timer

    init(factory: any MetricsFactory) {
        func counters(_ outcome: Outcome, versions: [String]) -> [Counter] {
            versions.map { version in
                Counter(
                    label: "mauth_authentications_total",
                    dimensions: [("result", outcome.rawValue), ("version", version)], factory: factory)
            }
        }
        authentic = counters(.authentic, versions: ["v1", "v2"])
        failures = [Outcome.inauthentic, .unable].map { counters($0, versions: ["v1", "v2", "none"]) }
        v1Fallbacks = Counter(label: "mauth_v1_fallbacks_total", factory: factory)
        duration = Timer(label: "mauth_authentication_duration_seconds", factory: factory)
    }

    func countAuthentic(version: MAuthProtocolVersion) {
        authentic[version == .v1 ? 0 : 1].increment()
    }

    func countFailure(inauthentic: Bool, claimedVersion version: MAuthProtocolVersion?) {
        failures[inauthentic ? 0 : 1][version == .v1 ? 0 : version == .v2 ? 1 : 2].increment()
    }
}

extension SignedMessage {
    /// What names a caller that fell back to V1, for the warning.
    fileprivate func fallbackMetadata(appUUID: String, v2Failure: String) -> Logger.Metadata {
        var metadata: Logger.Metadata = ["mauth.app_uuid": "\(appUUID)", "mauth.v2_failure": "\(v2Failure)"]
        switch subject {
        case .request(let method, let target):
            metadata["http.method"] = "\(method)"
            metadata["http.path"] = "\(target.path)"
        case .response(let status):
            metadata["http.status"] = "\(status)"
        }
        return metadata
    }
}
