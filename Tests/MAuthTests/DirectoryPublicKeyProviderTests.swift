import Foundation
import HTTPTypes
import MAuthTestSupport
import Testing

@testable import MAuth

@Suite("Directory of public keys")
struct DirectoryPublicKeyProviderTests {
    let directory: URL
    /// Owns `directory`: Swift Testing makes an instance of the suite for each test, and the
    /// directory goes with it.
    private let temporaryDirectory: TemporaryDirectory

    init() throws {
        temporaryDirectory = try TemporaryDirectory("mauth-keys")
        directory = temporaryDirectory.url
    }

    func write(_ text: String, as name: String) throws {
        try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    @Test("keys are found by app UUID, and changes are seen without a restart")
    func lookupAndReload() async throws {
        let provider = DirectoryPublicKeyProvider(directory: directory.path, recheckInterval: .zero)
        #expect(try await provider.publicKey(forAppUUID: Fixtures.appUUID) == nil)
        try write(Fixtures.publicKeyPEM, as: "\(Fixtures.appUUID).pub")
        #expect(try await provider.publicKey(forAppUUID: Fixtures.appUUID)?.pem == Fixtures.publicKey.pem)
        let other = Fixtures.otherPrivateKey.publicKey
        try write(other.pem, as: "\(Fixtures.appUUID).pub")
        #expect(try await provider.publicKey(forAppUUID: Fixtures.appUUID)?.pem == other.pem)
        try FileManager.default.removeItem(at: directory.appendingPathComponent("\(Fixtures.appUUID).pub"))
        #expect(try await provider.publicKey(forAppUUID: Fixtures.appUUID) == nil)
    }

    @Test("a key file over 64 KiB is refused without being read whole")
    func oversizedKeyFile() async throws {
        let path = directory.appendingPathComponent("\(Fixtures.appUUID).pub").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data(Fixtures.publicKeyPEM.utf8)))
        #expect(truncate(path, 100 << 20) == 0)
        let provider = DirectoryPublicKeyProvider(directory: directory.path)
        let error = await #expect(throws: MAuthError.self) {
            try await provider.publicKey(forAppUUID: Fixtures.appUUID)
        }
        #expect(error?.message.contains("is over 64 KiB, too large for a key") == true, "\(error?.message ?? "")")
        let pem = #expect(throws: MAuthError.self) {
            try MAuthPublicKey(pem: Fixtures.publicKeyPEM + String(repeating: "\n", count: 70_000))
        }
        #expect(pem?.message.contains("too large for a key") == true)
    }

    @Test("a found key is used for the recheck interval before its file is looked at again")
    func recheckInterval() async throws {
        try write(Fixtures.publicKeyPEM, as: "app.pub")
        let time = ManualClock()
        let provider = DirectoryPublicKeyProvider(
            directory: directory.path, recheckInterval: .seconds(1), clock: time.clock)
        #expect(try await provider.publicKey(forAppUUID: "app")?.pem == Fixtures.publicKey.pem)
        try FileManager.default.removeItem(at: directory.appendingPathComponent("app.pub"))
        time.advance(by: .milliseconds(900))
        #expect(try await provider.publicKey(forAppUUID: "app") != nil)
        time.advance(by: .milliseconds(200))
        #expect(try await provider.publicKey(forAppUUID: "app") == nil)
    }

    @Test("a key file replaced within the recheck interval is read at once when a signature fails with the old key")
    func rotatedKeyFile() async throws {
        try write(Fixtures.publicKeyPEM, as: "\(Fixtures.appUUID).pub")
        let time = ManualClock()
        let provider = DirectoryPublicKeyProvider(
            directory: directory.path, recheckInterval: .seconds(3600), clock: time.clock)
        let authenticator = MAuthAuthenticator(keyProvider: provider)
        let target = MAuthRequestTarget("/rotated")
        func headers(_ key: MAuthPrivateKey) throws -> HTTPFields {
            try MAuthSigner(appUUID: Fixtures.appUUID, privateKey: key).headers(
                method: "GET", target: target, body: [UInt8]())
        }
        _ = try await authenticator.authenticate(
            method: "GET", target: target, headers: headers(Fixtures.privateKey), body: [UInt8]())
        #expect(
            await provider.refreshedPublicKey(forAppUUID: Fixtures.appUUID, replacing: Fixtures.publicKey) == nil,
            "the file still holds the rejected key")
        try write(Fixtures.otherPrivateKey.publicKey.pem, as: "\(Fixtures.appUUID).pub")
        let identity = try await authenticator.authenticate(
            method: "GET", target: target, headers: headers(Fixtures.otherPrivateKey), body: [UInt8]())
        #expect(identity.appUUID == Fixtures.appUUID)
        await #expect(throws: MAuthError.self) {
            try await authenticator.authenticate(
                method: "GET", target: target, headers: headers(Fixtures.privateKey), body: [UInt8]())
        }
    }

    @Test("PKCS#1 public key files are read too")
    func pkcs1() async throws {
        let pkcs1 = try String(
            contentsOf: Fixtures.packageRoot.appendingPathComponent("Tests/Fixtures/keys/suite-key-pub-pkcs1.pem"),
            encoding: .utf8
        )
        try write(pkcs1, as: "app.pub")
        #expect(
            try await DirectoryPublicKeyProvider(directory: directory.path, recheckInterval: .zero).publicKey(
                forAppUUID: "app")?.pem
                == Fixtures.publicKey.pem)
    }

    @Test(
        "app UUIDs that are not plain names are unknown apps, never paths",
        arguments: ["../secret", "a/b", "", ".hidden", "a b", "é"])
    func traversal(appUUID: String) async throws {
        try write(Fixtures.publicKeyPEM, as: "secret.pub")
        let nested = directory.appendingPathComponent("inner")
        try FileManager.default.createDirectory(at: nested, withIntermediateDirectories: true)
        let provider = DirectoryPublicKeyProvider(directory: nested.path)
        #expect(provider.keyFilePath(forAppUUID: appUUID) == nil)
        #expect(try await provider.publicKey(forAppUUID: appUUID) == nil)
    }

    @Test("an unusable key file is unable-to-authenticate, naming the app")
    func unusableFile() async throws {
        try write("garbage", as: "broken.pub")
        let error = await #expect(throws: MAuthError.self) {
            try await DirectoryPublicKeyProvider(directory: directory.path, recheckInterval: .zero).publicKey(
                forAppUUID: "broken")
        }
        #expect(error?.code == .unableToAuthenticate)
        #expect(error?.message.hasPrefix("the public key file for app broken is unusable") == true)
    }
}
