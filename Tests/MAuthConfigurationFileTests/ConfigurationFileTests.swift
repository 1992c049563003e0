import Foundation
import MAuth
import MAuthConfigurationFile
import MAuthTestSupport
import Testing

@Suite("Configuration from a YAML file")
struct ConfigurationFileTests {
    let directory: URL
    /// Owns `directory`, which goes with the suite's instance.
    private let temporaryDirectory: TemporaryDirectory

    init() throws {
        temporaryDirectory = try TemporaryDirectory("mauth-config")
        directory = temporaryDirectory.url
        try Fixtures.privateKeyPEM.write(
            to: directory.appendingPathComponent("key.pem"), atomically: true, encoding: .utf8)
    }

    func write(_ yaml: String, as name: String = "mauth.yml") throws -> String {
        let url = directory.appendingPathComponent(name)
        try yaml.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func failure(_ file: String, section: String = "common", environment: [String: String] = [:]) async -> String? {
        do {
            _ = try await MAuthConfiguration.load(file: file, section: section, environment: environment)
            return nil
        } catch {
            return error.message
        }
    }

    @Test("the Rust client's ~/.mauth_config.yml: a common section; a relative key file is beside the file")
    func rustStyle() async throws {
        let file = try write(
            """
            common:
              mauth_baseurl: https://mauth.example.com/
              mauth_api_version: v1
              app_uuid: \(Fixtures.appUUID)
              private_key_file: key.pem
            """)
        let configuration = try await MAuthConfiguration.load(file: file, environment: [:])
        #expect(configuration.mauthURL == "https://mauth.example.com")
        #expect(configuration.apiVersion == "v1")
        #expect(configuration.appUUID == Fixtures.appUUID)
        #expect(configuration.privateKey?.publicKey.pem == Fixtures.publicKey.pem)
    }

    @Test("a Ruby service's config/mauth.yml: one section per environment, and our own settings")
    func rubyStyle() async throws {
        let file = try write(
            """
            development:
              mauth_baseurl: http://localhost:7000
              app_uuid: dev-app
              private_key_file: key.pem
            production:
              mauth_baseurl: https://mauth.example.com
              app_uuid: prod-app
              private_key: |
            \(Fixtures.privateKeyPEM.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
              mauth_mode: remote
              sign_versions: v1,v2
              v2_only_authenticate: true
            """)
        let development = try await MAuthConfiguration.load(file: file, section: "development", environment: [:])
        #expect(development.appUUID == "dev-app")
        #expect(development.mauthURL == "http://localhost:7000")
        let production = try await MAuthConfiguration.load(file: file, section: "production", environment: [:])
        #expect(production.appUUID == "prod-app")
        #expect(production.privateKey != nil)
        #expect(production.mode == .remote)
        #expect(production.signVersions == [.v1, .v2])
        #expect(production.v2OnlyAuthenticate)
    }

    @Test("the environment wins over the file, and its private key over both of the file's")
    func environmentWins() async throws {
        let file = try write(
            """
            common:
              mauth_baseurl: https://mauth.example.com
              app_uuid: from-file
              private_key_file: missing.pem
            """)
        let configuration = try await MAuthConfiguration.load(
            file: file,
            environment: ["APP_UUID": "from-environment", "MAUTH_PRIVATE_KEY": Fixtures.privateKeyPEM])
        #expect(configuration.appUUID == "from-environment")
        #expect(configuration.mauthURL == "https://mauth.example.com")
        #expect(configuration.privateKey != nil, "the file's unreadable key file is not read")
    }

    @Test("bad input is one line naming the file, the key or the line, and nothing is used")
    func badInput() async throws {
        let broken = try write("common:\n  app_uuid: \"open\n  other: [\n", as: "broken.yml")
        let brokenMessage = try #require(await failure(broken))
        #expect(brokenMessage.hasPrefix("\(broken): "))
        #expect(brokenMessage.contains("line 2"), "\(brokenMessage)")
        #expect(!brokenMessage.contains("\n"))

        let wrongType = try write("common:\n  app_uuid: [a, b]\n", as: "type.yml")
        #expect(await failure(wrongType) == "\(wrongType): common.app_uuid must be a string")
        let wrongFlag = try write("common:\n  v2_only_authenticate: perhaps\n", as: "flag.yml")
        #expect(await failure(wrongFlag) == "\(wrongFlag): common.v2_only_authenticate must be true or false")

        let ruby = try write("production:\n  app_uuid: abc\n  private_key_file: nope.pem\n", as: "ruby.yml")
        #expect(
            await failure(ruby, section: "staging")?.hasPrefix("\(ruby): no MAuth settings under 'staging'") == true)
        let keyFailure = try #require(await failure(ruby, section: "production"))
        #expect(keyFailure.hasPrefix("\(ruby): production.private_key_file: cannot read the private key file"))

        let badURL = try write("common:\n  mauth_baseurl: ftp://nowhere\n", as: "url.yml")
        #expect(
            await failure(badURL)?.hasPrefix("\(badURL): common.mauth_baseurl must be an http or https URL") == true)
        let missing = directory.appendingPathComponent("absent.yml").path
        #expect(await failure(missing)?.hasPrefix("\(missing): ") == true)
    }
}
