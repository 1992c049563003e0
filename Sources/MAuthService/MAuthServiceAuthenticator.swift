public import AsyncHTTPClient
import Foundation
public import HTTPTypes
public import Logging
public import MAuth

/// The whole authenticating stack built from the environment in one call: the Swift counterpart
/// of the Python client's `LambdaAuthenticator`, usable from any server or serverless function.
///
/// ```swift
/// let mauth = try MAuthServiceAuthenticator.fromEnvironment()
/// let result = await mauth.authenticate(method: "GET", url: "/v1/items?page=2", headers: headers, body: body)
/// if !result.isAuthentic { return (result.status, result.message) }
/// ```
///
/// It reads the app's identity, `MAUTH_URL`, `MAUTH_API_VERSION`, `MAUTH_MODE` (`local` fetches
/// public keys and caches them; `remote` asks the service to check each signature),
/// `MAUTH_V2_ONLY_AUTHENTICATE` and `MAUTH_SIGN_VERSIONS` (PROTOCOL.md §8).
public struct MAuthServiceAuthenticator: Sendable {
    /// The outcome of one authentication.
    public struct Result: Sendable, Hashable {
        /// Whether the request is authentic.
        public let isAuthentic: Bool
        /// The status to answer with when it is not: 401 (inauthentic) or 500 (unable to
        /// authenticate); 200 when it is.
        public let status: Int
        /// Why authentication failed; `nil` when it succeeded.
        public let message: String?
        /// The caller, when authentic.
        public let identity: MAuthIdentity?
    }

    /// The authenticator, for use with `MAuthMiddleware` or directly.
    public let authenticator: MAuthAuthenticator

    /// Builds the stack from `configuration`.
    ///
    /// - Parameters:
    ///   - configuration: the app's identity (which signs the calls to the service), the service's
    ///     URL and API version, local or remote mode, and the authenticator's options.
    ///   - cachePolicy: how the key cache of local mode keeps keys; unused in remote mode.
    ///   - httpClient: the client that calls the service; `nil` (the default) uses one of the
    ///     package's own, which never follows redirects.
    ///   - logger: where the authenticator and the key cache log.
    ///   - clock: the time the drift window, the key cache and its grace period are
    ///     measured against.
    /// - Throws: ``/MAuth/MAuthError`` with code `invalidConfiguration` naming what is missing.
    public init(
        configuration: MAuthConfiguration,
        cachePolicy: MAuthServiceKeyProvider.CachePolicy = .init(),
        httpClient: HTTPClient? = nil,
        logger: Logger = Logger(label: "mauth.service"),
        clock: MAuthClock = .system
    ) throws(MAuthError) {
        var missing: [String] = []
        if configuration.appUUID == nil { missing.append("MAUTH_APP_UUID (or APP_UUID)") }
        if configuration.privateKey == nil {
            missing.append("MAUTH_PRIVATE_KEY (or PRIVATE_KEY, or MAUTH_PRIVATE_KEY_FILE)")
        }
        if configuration.mauthURL == nil { missing.append("MAUTH_URL") }
        guard missing.isEmpty, let mauthURL = configuration.mauthURL else {
            throw MAuthError(
                .invalidConfiguration,
                "authenticating through a MAuth service needs: \(missing.joined(separator: ", "))"
            )
        }
        let client = MAuthServiceClient(
            baseURL: mauthURL,
            apiVersion: configuration.apiVersion,
            signer: try configuration.signer(),
            httpClient: httpClient
        )
        let verifier: any MAuthSignatureVerifier =
            configuration.mode == .remote
            ? MAuthRemoteVerifier(client: client)
            : MAuthAuthenticator.localVerifier(
                keyProvider: MAuthServiceKeyProvider(
                    client: client, cachePolicy: cachePolicy, logger: logger, clock: clock)
            )
        var options = configuration.authenticatorOptions()
        options.clock = clock
        self.authenticator = MAuthAuthenticator(verifier: verifier, options: options, logger: logger)
    }

    /// Builds the stack from the process environment.
    public static func fromEnvironment() throws(MAuthError) -> MAuthServiceAuthenticator {
        try MAuthServiceAuthenticator(configuration: try MAuthConfiguration.fromProcessEnvironment())
    }

    /// Authenticates a request given as method, URL (a full URL or the raw path and query),
    /// header fields and body.
    public func authenticate(method: String, url: String, headers: HTTPFields, body: [UInt8]) async -> Result {
        do {
            let identity = try await authenticator.authenticate(
                method: method,
                target: MAuthRequestTarget(url: url),
                headers: headers,
                body: body
            )
            return Result(isAuthentic: true, status: 200, message: nil, identity: identity)
        } catch {
            let status = error.code == .inauthentic ? 401 : 500
            return Result(isAuthentic: false, status: status, message: error.message, identity: nil)
        }
    }
}
