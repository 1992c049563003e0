import AsyncHTTPClient
import Foundation
import MAuth
import MAuthService

/// The identity that `mauth request` and `mauth proxy` sign with, and the keys they check
/// responses against.
enum SigningIdentity {
    /// The environment's identity (MAUTH_APP_UUID or APP_UUID, and MAUTH_PRIVATE_KEY, PRIVATE_KEY
    /// or MAUTH_PRIVATE_KEY_FILE); with none set, the development identity in `.mauth/`.
    static func signer(_ configuration: MAuthConfiguration, signVersions: String?) throws -> MAuthSigner {
        var configuration = configuration
        do {
            if let signVersions { configuration.signVersions = try MAuthProtocolVersion.list(from: signVersions) }
            if configuration.appUUID == nil, configuration.privateKey == nil {
                guard FileManager.default.fileExists(atPath: DevelopmentIdentityFiles.markerPath(in: ".mauth")) else {
                    throw CommandFailure.usage(
                        "no identity: set MAUTH_APP_UUID and MAUTH_PRIVATE_KEY_FILE, or run `mauth serve` here once to create .mauth/"
                    )
                }
                let identity = try DevelopmentIdentityFiles.loadOrCreate(in: ".mauth")
                configuration.appUUID = identity.files.appUUID
                configuration.privateKey = identity.key
            }
            return try configuration.signer()
        } catch let error as MAuthError {
            throw CommandFailure.usage(error.message)
        }
    }

    /// Checks responses with keys from `keysDir`; else from MAUTH_URL's service; else from
    /// `.mauth/`.
    static func responseAuthenticator(
        keysDir: String?, configuration: MAuthConfiguration, signer: MAuthSigner, httpClient: HTTPClient
    ) throws -> MAuthAuthenticator {
        if keysDir == nil, let mauthURL = configuration.mauthURL {
            let serviceClient = MAuthServiceClient(
                baseURL: mauthURL, apiVersion: configuration.apiVersion, signer: signer, httpClient: httpClient)
            return MAuthAuthenticator(keyProvider: MAuthServiceKeyProvider(client: serviceClient))
        }
        let directory = keysDir ?? ".mauth"
        guard FileManager.default.fileExists(atPath: directory) else {
            throw CommandFailure.usage("--keys-dir \(directory) does not exist")
        }
        return MAuthAuthenticator(keyProvider: DirectoryPublicKeyProvider(directory: directory))
    }
}
