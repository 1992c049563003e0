import Foundation
import HTTPTypes
import MAuthTestSupport
import Testing

@testable import MAuth

@Suite("Keys (PROTOCOL.md §5.1)")
struct KeyTests {
    static let keysDirectory = Fixtures.packageRoot.appendingPathComponent("Tests/Fixtures/keys")

    static func text(_ name: String) -> String {
        try! String(contentsOf: keysDirectory.appendingPathComponent(name), encoding: .utf8)
    }

    /// Signs with `privateKey` (V1 and V2) and checks with `publicKey`.
    func signsAndVerifies(_ privateKey: MAuthPrivateKey, _ publicKey: MAuthPublicKey) async throws -> Bool {
        let signer = try MAuthSigner(appUUID: "app", privateKey: privateKey, versions: [.v1, .v2], clock: .fixed(100))
        var headers = try signer.headers(method: "GET", target: MAuthRequestTarget("/"), body: [UInt8]())
        let authenticator = MAuthAuthenticator(
            keyProvider: InMemoryPublicKeyProvider(["app": publicKey]),
            options: .init(clock: .fixed(100))
        )
        let v2 = try await authenticator.authenticate(
            method: "GET", target: MAuthRequestTarget("/"), headers: headers, body: [UInt8]())
        headers[.mauthV2Authentication] = nil
        let v1 = try await authenticator.authenticate(
            method: "GET", target: MAuthRequestTarget("/"), headers: headers, body: [UInt8]())
        return v2.version == .v2 && v1.version == .v1
    }

    @Test("PKCS#1 and PKCS#8 private keys sign alike")
    func privateKeyForms() async throws {
        let pkcs8 = try MAuthPrivateKey(pem: Self.text("suite-key-pkcs8.pem"))
        #expect(pkcs8.bits == 2048)
        #expect(pkcs8.pem == Fixtures.privateKey.pem)
        #expect(try await signsAndVerifies(pkcs8, Fixtures.publicKey))
    }

    @Test("SPKI and PKCS#1 public keys verify alike")
    func publicKeyForms() async throws {
        let pkcs1 = try MAuthPublicKey(pem: Self.text("suite-key-pub-pkcs1.pem"))
        #expect(pkcs1.pem == Fixtures.publicKey.pem)
        #expect(try await signsAndVerifies(Fixtures.privateKey, pkcs1))
    }

    @Test("a generated key pair round-trips through PEM")
    func generate() async throws {
        let key = try MAuthPrivateKey.generate(bits: 2048)
        #expect(key.bits == 2048)
        #expect(key.pem.hasPrefix("-----BEGIN RSA PRIVATE KEY-----\n"))
        #expect(key.publicKey.pem.hasPrefix("-----BEGIN PUBLIC KEY-----\n"))
        let reread = try MAuthPrivateKey(pem: key.pem)
        let rereadPublic = try MAuthPublicKey(pem: key.publicKey.pem)
        #expect(try await signsAndVerifies(reread, rereadPublic))
        #expect(throws: MAuthError(.invalidKey, "key size must be between 1024 and 16384 bits, not 512")) {
            try MAuthPrivateKey.generate(bits: 512)
        }
    }

    @Test(
        "keys squeezed onto one line are repaired",
        arguments: ["spaces", "no separators", "literal backslash-n", "CRLF escapes", "CRLF"]
    )
    func repair(form: String) throws {
        let pem = Fixtures.privateKeyPEM
        let lines = pem.split(separator: "\n")
        let body = lines.dropFirst().dropLast()
        let squeezed: String
        switch form {
        case "spaces": squeezed = lines.joined(separator: " ")
        case "no separators": squeezed = "\(lines.first!)\(body.joined())\(lines.last!)"
        case "literal backslash-n": squeezed = lines.joined(separator: "\\n")
        case "CRLF escapes": squeezed = lines.joined(separator: "\\r\\n")
        default: squeezed = lines.joined(separator: "\r\n")
        }
        #expect(try MAuthPrivateKey(pem: squeezed).pem == Fixtures.privateKey.pem)
        let publicLines = Fixtures.publicKeyPEM.split(separator: "\n")
        #expect(try MAuthPublicKey(pem: publicLines.joined(separator: " ")).pem == Fixtures.publicKey.pem)
    }

    @Test(
        "garbled key text names the problem",
        arguments: [
            ("", "the private key is not PEM text: no '-----BEGIN ...-----' line was found"),
            ("hello", "the private key is not PEM text: no '-----BEGIN ...-----' line was found"),
            (
                "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n",
                "the private key is truncated: the '-----BEGIN RSA PRIVATE KEY-----' block has no '-----END RSA PRIVATE KEY-----' line"
            ),
            (
                "-----BEGIN RSA PRIVATE KEY-----\nMII*ow==\n-----END RSA PRIVATE KEY-----\n",
                "the private key body is not valid Base64 (garbled or truncated key text)"
            ),
            (
                "-----BEGIN RSA PRIVATE KEY-----\n-----END RSA PRIVATE KEY-----\n",
                "the private key has an empty 'RSA PRIVATE KEY' block"
            ),
            (
                "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
                "expected 'RSA PRIVATE KEY' or 'PRIVATE KEY' PEM text, found 'CERTIFICATE'"
            ),
        ]
    )
    func garbled(text: String, message: String) {
        #expect(throws: MAuthError(.invalidKey, message)) { try MAuthPrivateKey(pem: text) }
    }

    @Test("truncated key data is reported as malformed, not as an OpenSSL code alone")
    func truncatedDER() throws {
        let lines = Fixtures.privateKeyPEM.split(separator: "\n")
        let truncated = ([lines.first!] + lines[1..<10] + [lines.last!]).joined(separator: "\n")
        let error = #expect(throws: MAuthError.self) { try MAuthPrivateKey(pem: truncated) }
        #expect(error?.code == .invalidKey)
        #expect(error?.message.hasPrefix("the private key ('RSA PRIVATE KEY' block) is malformed or truncated") == true)
    }

    @Test("wrong kinds of key")
    func wrongKinds() {
        #expect(throws: MAuthError(.invalidKey, "expected a private key but found a public key ('PUBLIC KEY')")) {
            try MAuthPrivateKey(pem: Fixtures.publicKeyPEM)
        }
        #expect(throws: MAuthError.self) { try MAuthPublicKey(pem: Fixtures.privateKeyPEM) }
        #expect(throws: MAuthError(.invalidKey, "the private key is encrypted; MAuth needs an unencrypted key")) {
            try MAuthPrivateKey(pem: Self.text("suite-key-encrypted.pem"))
        }
        #expect(throws: MAuthError(.invalidKey, "the private key is not an RSA key; MAuth needs RSA")) {
            try MAuthPrivateKey(pem: Self.text("ec-key.pem"))
        }
    }

    @Test("a 1024-bit key cannot make V1 signatures but makes V2 ones")
    func smallKey() async throws {
        let key = try MAuthPrivateKey(pem: Self.text("rsa-1024-key.pem"))
        #expect(key.bits == 1024)
        #expect(throws: MAuthError.self) { try MAuthSigner(appUUID: "app", privateKey: key, versions: [.v1]) }
        let signer = try MAuthSigner(appUUID: "app", privateKey: key, versions: [.v2], clock: .fixed(100))
        #expect(throws: MAuthError.self) {
            try signer.headers(method: "GET", target: MAuthRequestTarget("/"), body: [UInt8](), versions: [.v1])
        }
        let headers = try signer.headers(method: "GET", target: MAuthRequestTarget("/"), body: [UInt8]())
        let authenticator = MAuthAuthenticator(
            keyProvider: InMemoryPublicKeyProvider(["app": key.publicKey]),
            options: .init(clock: .fixed(100))
        )
        let identity = try await authenticator.authenticate(
            method: "GET", target: MAuthRequestTarget("/"), headers: headers, body: [UInt8]())
        #expect(identity.version == .v2)
    }

    @Test("unreadable key files are named")
    func missingFile() {
        let error = #expect(throws: MAuthError.self) { try MAuthPrivateKey(contentsOfFile: "/nonexistent/key.pem") }
        #expect(error?.code == .invalidKey)
        #expect(error?.message.hasPrefix("cannot read the private key file '/nonexistent/key.pem'") == true)
    }
}
