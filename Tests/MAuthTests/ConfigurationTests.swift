import Foundation
import HTTPTypes
import MAuthTestSupport
import Testing

@testable import MAuth

@Suite("Configuration from the environment (PROTOCOL.md §8)")
struct ConfigurationTests {
    @Test("defaults with an empty environment")
    func defaults() throws {
        let configuration = try MAuthConfiguration(environment: [:])
        #expect(configuration.appUUID == nil)
        #expect(configuration.privateKey == nil)
        #expect(configuration.apiVersion == "v1")
        #expect(configuration.mode == .local)
        #expect(configuration.signVersions == [.v1])
        #expect(!configuration.v2OnlyAuthenticate)
        #expect(!configuration.disableFallbackToV1)
        #expect(
            throws: MAuthError(
                .invalidConfiguration,
                "MAuth signing needs an app identity; not set: MAUTH_APP_UUID (or APP_UUID), MAUTH_PRIVATE_KEY (or PRIVATE_KEY, or MAUTH_PRIVATE_KEY_FILE)"
            )
        ) { try configuration.signer() }
    }

    @Test("Python names")
    func pythonNames() throws {
        let configuration = try MAuthConfiguration(environment: [
            "APP_UUID": Fixtures.appUUID,
            "PRIVATE_KEY": Fixtures.privateKeyPEM.split(separator: "\n").joined(separator: " "),
            "MAUTH_URL": "https://mauth.example.com/",
            "MAUTH_API_VERSION": "v1",
            "MAUTH_MODE": "Remote",
            "V2_ONLY_AUTHENTICATE": "TRUE",
            "MAUTH_SIGN_VERSIONS": "v1, v2",
        ])
        #expect(configuration.appUUID == Fixtures.appUUID)
        #expect(configuration.privateKey?.pem == Fixtures.privateKey.pem)
        #expect(configuration.mauthURL == "https://mauth.example.com")
        #expect(configuration.mode == .remote)
        #expect(configuration.v2OnlyAuthenticate)
        #expect(configuration.signVersions == [.v1, .v2])
        let signer = try configuration.signer()
        #expect(signer.appUUID == Fixtures.appUUID)
        #expect(signer.versions == [.v1, .v2])
        #expect(configuration.authenticatorOptions().v2Only)
    }

    @Test("MAUTH_-prefixed names win")
    func prefixedWins() throws {
        let configuration = try MAuthConfiguration(environment: [
            "APP_UUID": "python-app",
            "MAUTH_APP_UUID": "prefixed-app",
            "V2_ONLY_AUTHENTICATE": "true",
            "MAUTH_V2_ONLY_AUTHENTICATE": "false",
            "MAUTH_DISABLE_FALLBACK_TO_V1_ON_V2_FAILURE": "true",
        ])
        #expect(configuration.appUUID == "prefixed-app")
        #expect(!configuration.v2OnlyAuthenticate)
        #expect(configuration.disableFallbackToV1)
        #expect(!configuration.authenticatorOptions().fallbackToV1)
    }

    @Test("the private key can come from a file")
    func keyFile() throws {
        let path = Fixtures.suiteDirectory.appendingPathComponent("signing-params/rsa-key").path
        let configuration = try MAuthConfiguration(environment: ["MAUTH_PRIVATE_KEY_FILE": path])
        #expect(configuration.privateKey?.pem == Fixtures.privateKey.pem)
    }

    @Test(
        "validation errors name the variable and the expected form",
        arguments: [
            (
                "MAUTH_SIGN_VERSIONS", "v3",
                "MAUTH_SIGN_VERSIONS: sign versions must be comma-separated MAuth protocol versions (e.g. 'v1,v2'); 'v3' is not v1 or v2"
            ),
            ("MAUTH_MODE", "sideways", "MAUTH_MODE must be 'local' or 'remote', not 'sideways'"),
            (
                "MAUTH_URL", "mauth.example.com",
                "MAUTH_URL must be an http or https URL such as https://mauth.example.com, not 'mauth.example.com'"
            ),
            (
                "MAUTH_URL", "ftp://mauth.example.com",
                "MAUTH_URL must be an http or https URL such as https://mauth.example.com, not 'ftp://mauth.example.com'"
            ),
            ("MAUTH_API_VERSION", "1", "MAUTH_API_VERSION must be an API version such as v1, not '1'"),
            ("V2_ONLY_AUTHENTICATE", "yes", "V2_ONLY_AUTHENTICATE must be 'true' or 'false', not 'yes'"),
            (
                "PRIVATE_KEY", "not a key",
                "PRIVATE_KEY: the private key is not PEM text: no '-----BEGIN ...-----' line was found"
            ),
            (
                "MAUTH_PRIVATE_KEY_FILE", "/nonexistent/key",
                "MAUTH_PRIVATE_KEY_FILE: cannot read the private key file '/nonexistent/key'"
            ),
        ]
    )
    func validation(name: String, value: String, message: String) {
        let error = #expect(throws: MAuthError.self) { try MAuthConfiguration(environment: [name: value]) }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.hasPrefix(message) == true, "\(error?.message ?? "")")
    }

    @Test("empty variables count as unset")
    func emptyIsUnset() throws {
        let configuration = try MAuthConfiguration(environment: ["MAUTH_MODE": "", "MAUTH_SIGN_VERSIONS": " "])
        #expect(configuration.mode == .local)
        #expect(configuration.signVersions == [.v1])
    }
}
