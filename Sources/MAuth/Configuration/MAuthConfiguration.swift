import Foundation

/// Everything an app needs to sign and authenticate with MAuth, set in code or read from the
/// environment (PROTOCOL.md §8).
///
/// ```swift
/// let configuration = try MAuthConfiguration.fromProcessEnvironment()
/// let signer = try configuration.signer()
/// ```
public struct MAuthConfiguration: Sendable {
    /// How an authenticator checks signatures.
    public struct Mode: Sendable, Hashable, CustomStringConvertible {
        /// The text form: `local` or `remote`.
        public let name: String

        private init(name: String) {
            self.name = name
        }

        /// Fetch the caller's public key from the MAuth service and verify locally.
        public static let local = Mode(name: "local")
        /// Ask the MAuth service to verify each signature.
        public static let remote = Mode(name: "remote")

        public var description: String { name }
    }

    /// The app's own UUID, used to sign.
    public var appUUID: String?
    /// The app's own private key, used to sign.
    public var privateKey: MAuthPrivateKey?
    /// The MAuth service base URL, such as `https://mauth.example.com`, without a trailing slash.
    public var mauthURL: String?
    /// The MAuth service API version; `v1`.
    public var apiVersion: String
    /// Local or remote authentication.
    public var mode: Mode
    /// Versions used to sign outgoing messages; `[.v1]` by default.
    public var signVersions: [MAuthProtocolVersion]
    /// Reject V1-only messages and never fall back to V1.
    public var v2OnlyAuthenticate: Bool
    /// Do not retry with the V1 headers when V2 fails, while still accepting V1-only messages.
    public var disableFallbackToV1: Bool

    /// Creates a configuration in code.
    public init(
        appUUID: String? = nil,
        privateKey: MAuthPrivateKey? = nil,
        mauthURL: String? = nil,
        apiVersion: String = "v1",
        mode: Mode = .local,
        signVersions: [MAuthProtocolVersion] = [.v1],
        v2OnlyAuthenticate: Bool = false,
        disableFallbackToV1: Bool = false
    ) {
        self.appUUID = appUUID
        self.privateKey = privateKey
        self.mauthURL = mauthURL
        self.apiVersion = apiVersion
        self.mode = mode
        self.signVersions = signVersions
        self.v2OnlyAuthenticate = v2OnlyAuthenticate
        self.disableFallbackToV1 = disableFallbackToV1
    }

    /// Reads the configuration from environment variables.
    ///
    /// Both the Python client's names and the `MAUTH_`-prefixed names are read; when both are
    /// set, the prefixed one wins:
    ///
    /// | setting | variables |
    /// |---|---|
    /// | app UUID | `MAUTH_APP_UUID`, `APP_UUID` |
    /// | private key | `MAUTH_PRIVATE_KEY`, `PRIVATE_KEY` (PEM text), else `MAUTH_PRIVATE_KEY_FILE` (a path) |
    /// | service | `MAUTH_URL`, `MAUTH_API_VERSION` (`v1`), `MAUTH_MODE` (`local` or `remote`) |
    /// | signing | `MAUTH_SIGN_VERSIONS` (`v1`, `v2` or `v1,v2`) |
    /// | authenticating | `MAUTH_V2_ONLY_AUTHENTICATE`, `V2_ONLY_AUTHENTICATE`, `MAUTH_DISABLE_FALLBACK_TO_V1_ON_V2_FAILURE` (`true` or `false`) |
    ///
    /// Unset and empty variables take the defaults.
    ///
    /// - Throws: ``MAuthError`` with code ``MAuthError/Code-swift.struct/invalidConfiguration``
    ///   naming the variable and the form it must have.
    public init(environment: [String: String]) throws(MAuthError) {
        try self.init(environment: environment, fileSettings: FileSettings())
    }

    /// Reads the configuration from environment variables, taking a setting from `fileSettings`
    /// where its variable is not set: the environment wins over the file. The private key is one
    /// setting: any of its three variables set in the environment outweighs both of the file's.
    ///
    /// - Throws: ``MAuthError`` with code ``MAuthError/Code-swift.struct/invalidConfiguration``
    ///   naming the variable, or the file and key, and the form it must have.
    public init(environment: [String: String], fileSettings: FileSettings) throws(MAuthError) {
        var fileSettings = fileSettings
        let environmentOnly = EnvironmentVariables(environment)
        if environmentOnly.isSetInEnvironment("MAUTH_PRIVATE_KEY", "PRIVATE_KEY", "MAUTH_PRIVATE_KEY_FILE") {
            fileSettings.values["MAUTH_PRIVATE_KEY"] = nil
            fileSettings.values["MAUTH_PRIVATE_KEY_FILE"] = nil
        }
        let variables = EnvironmentVariables(environment, fileSettings: fileSettings)
        self.init()
        appUUID = variables.value(of: "MAUTH_APP_UUID", "APP_UUID")?.value
        if let keyText = variables.value(of: "MAUTH_PRIVATE_KEY", "PRIVATE_KEY") {
            privateKey = try variables.parse(keyText) { text throws(MAuthError) in try MAuthPrivateKey(pem: text) }
        } else if let keyFile = variables.value(of: "MAUTH_PRIVATE_KEY_FILE") {
            privateKey = try variables.parse(keyFile) { path throws(MAuthError) in
                try MAuthPrivateKey(contentsOfFile: path)
            }
        }
        if let url = variables.value(of: "MAUTH_URL") {
            mauthURL = try variables.parse(url, expected: "an http or https URL such as https://mauth.example.com") {
                Self.serviceURL($0)
            }
        }
        if let version = variables.value(of: "MAUTH_API_VERSION") {
            apiVersion = try variables.parse(version, expected: "an API version such as v1") { text in
                text.hasPrefix("v") && text.count > 1 && text.dropFirst().allSatisfy(\.isASCII)
                    && Int(text.dropFirst()) != nil
                    ? text : nil
            }
        }
        if let mode = variables.value(of: "MAUTH_MODE") {
            self.mode = try variables.parse(mode, expected: "'local' or 'remote'") { text in
                switch text.lowercased() {
                case "local": Mode.local
                case "remote": Mode.remote
                default: nil
                }
            }
        }
        if let versions = variables.value(of: "MAUTH_SIGN_VERSIONS") {
            signVersions = try variables.parse(versions) { text throws(MAuthError) in
                try MAuthProtocolVersion.list(from: text)
            }
        }
        if let flag = variables.value(of: "MAUTH_V2_ONLY_AUTHENTICATE", "V2_ONLY_AUTHENTICATE") {
            v2OnlyAuthenticate = try variables.parseBoolean(flag)
        }
        if let flag = variables.value(of: "MAUTH_DISABLE_FALLBACK_TO_V1_ON_V2_FAILURE") {
            disableFallbackToV1 = try variables.parseBoolean(flag)
        }
    }

    /// Reads the configuration from this process's environment; see ``init(environment:)``.
    public static func fromProcessEnvironment() throws(MAuthError) -> MAuthConfiguration {
        try MAuthConfiguration(environment: ProcessInfo.processInfo.environment)
    }

    /// A signer for the configured app.
    ///
    /// - Throws: ``MAuthError`` with code ``MAuthError/Code-swift.struct/invalidConfiguration``
    ///   listing the missing settings.
    public func signer(clock: MAuthClock = .system) throws(MAuthError) -> MAuthSigner {
        var missing: [String] = []
        if appUUID?.isEmpty ?? true { missing.append("MAUTH_APP_UUID (or APP_UUID)") }
        if privateKey == nil { missing.append("MAUTH_PRIVATE_KEY (or PRIVATE_KEY, or MAUTH_PRIVATE_KEY_FILE)") }
        guard missing.isEmpty, let appUUID, let privateKey else {
            throw MAuthError(
                .invalidConfiguration,
                "MAuth signing needs an app identity; not set: \(missing.joined(separator: ", "))")
        }
        return try MAuthSigner(appUUID: appUUID, privateKey: privateKey, versions: signVersions, clock: clock)
    }

    /// Authenticator options that reflect ``v2OnlyAuthenticate`` and ``disableFallbackToV1``.
    public func authenticatorOptions(clock: MAuthClock = .system) -> MAuthAuthenticator.Options {
        MAuthAuthenticator.Options(v2Only: v2OnlyAuthenticate, fallbackToV1: !disableFallbackToV1, clock: clock)
    }

    private static func serviceURL(_ text: String) -> String? {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty,
            components.query == nil, components.fragment == nil
        else { return nil }
        var url = text
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }
}
