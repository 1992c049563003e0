import ArgumentParser
import Foundation
import Logging
import MAuth
import MAuthService

/// How a server command (`serve`, `gate`) authenticates requests and signs its responses: public
/// keys from a directory or a MAuth service.
struct AuthenticationOptions: ParsableArguments {
    @Option(help: "Serve the public keys (<app_uuid>.pub) found in this directory instead of .mauth/.")
    var keysDir: String?

    @Option(help: "Authenticate through this MAuth service instead of a key directory (MAUTH_URL).")
    var mauthURL: String?

    @Option(
        help: "With --mauth-url: local (fetch and cache public keys) or remote (the service checks each signature).")
    var mode: String?

    @Option(
        help: "With --mauth-url: this app's UUID, for signing calls to the service (else MAUTH_APP_UUID or APP_UUID).")
    var appUUID: String?

    @Option(
        help:
            "With --mauth-url: this app's private key file (else MAUTH_PRIVATE_KEY, PRIVATE_KEY or MAUTH_PRIVATE_KEY_FILE)."
    )
    var privateKeyFile: String?

    @Option(help: "With --mauth-url in local mode: serve an expired key for this many seconds while the service fails.")
    var staleIfError: Int?

    @Flag(help: "Reject V1-only requests and never fall back to V1.")
    var v2Only = false

    @Flag(
        help: """
            Sign every response: with --mauth-url, with the identity that calls the service; otherwise with the \
            identity from the environment, else the development identity.
            """)
    var signResponses = false

    func validate() throws {
        if mauthURL != nil, keysDir != nil {
            throw ValidationError("--mauth-url and --keys-dir are alternatives; give one")
        }
        if mauthURL == nil, mode != nil || appUUID != nil || privateKeyFile != nil || staleIfError != nil {
            throw ValidationError("--mode, --app-uuid, --private-key-file and --stale-if-error go with --mauth-url")
        }
        if let mode, mode != "local", mode != "remote" {
            throw ValidationError("--mode must be local or remote")
        }
    }

    /// The authenticator these options describe, where its keys come from in words, and the
    /// development identity when keys come from `.mauth/` (which is created on first use).
    func authenticator(settings: MAuthConfiguration, logger: Logger) throws -> (
        MAuthAuthenticator, keys: String, development: DevelopmentIdentity?
    ) {
        if let mauthURL {
            return (
                try serviceAuthenticator(mauthURL: mauthURL, settings: settings, logger: logger),
                "the MAuth service at \(mauthURL) (\(mode ?? "local") mode)", nil
            )
        }
        let keysDirectory: String
        var development: DevelopmentIdentity?
        if let keysDir {
            keysDirectory = keysDir
            guard FileManager.default.fileExists(atPath: keysDir) else {
                throw CommandFailure.usage("--keys-dir \(keysDir) does not exist")
            }
        } else {
            keysDirectory = ".mauth"
            development = try DevelopmentIdentityFiles.loadOrCreate(in: keysDirectory)
        }
        let authenticator = MAuthAuthenticator(
            keyProvider: DirectoryPublicKeyProvider(directory: keysDirectory),
            options: .init(v2Only: v2Only),
            logger: logger
        )
        return (authenticator, "\(keysDirectory)/<app_uuid>.pub", development)
    }

    /// The identity that signs responses: with `--mauth-url`, the one that signs calls to the
    /// service (the options, else the environment); otherwise the environment's, else the
    /// development identity.
    func responseSigner(_ development: DevelopmentIdentity?, settings: MAuthConfiguration) throws -> MAuthSigner {
        if let mauthURL {
            do {
                return try serviceConfiguration(mauthURL: mauthURL, settings: settings).signer()
            } catch {
                throw CommandFailure.usage(error.message)
            }
        }
        if settings.appUUID != nil || settings.privateKey != nil {
            return try settings.signer()
        }
        let identity = try development ?? DevelopmentIdentityFiles.loadOrCreate(in: ".mauth")
        return try MAuthSigner(
            appUUID: identity.files.appUUID, privateKey: identity.key, versions: settings.signVersions)
    }

    /// Authentication through a MAuth service, with this app's identity from the options or the
    /// environment.
    private func serviceAuthenticator(mauthURL: String, settings: MAuthConfiguration, logger: Logger) throws
        -> MAuthAuthenticator
    {
        do {
            var configuration = try serviceConfiguration(mauthURL: mauthURL, settings: settings)
            configuration.v2OnlyAuthenticate = configuration.v2OnlyAuthenticate || v2Only
            let cachePolicy = MAuthServiceKeyProvider.CachePolicy(
                staleIfErrorGracePeriod: staleIfError.map { .seconds($0) })
            return try MAuthServiceAuthenticator(configuration: configuration, cachePolicy: cachePolicy, logger: logger)
                .authenticator
        } catch {
            throw CommandFailure.usage(error.message)
        }
    }

    /// This app's configuration for talking to the MAuth service: the configuration file under the
    /// environment, with the options given on the command line taking precedence.
    private func serviceConfiguration(mauthURL: String, settings: MAuthConfiguration) throws(MAuthError)
        -> MAuthConfiguration
    {
        var configuration = settings
        configuration.mauthURL = mauthURL
        if let mode { configuration.mode = mode == "remote" ? .remote : .local }
        if let appUUID { configuration.appUUID = appUUID }
        if let privateKeyFile { configuration.privateKey = try MAuthPrivateKey(contentsOfFile: privateKeyFile) }
        return configuration
    }
}
