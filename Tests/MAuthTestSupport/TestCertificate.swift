import Foundation

/// A self-signed certificate for `localhost` and 127.0.0.1, made with the openssl command.
public struct TestCertificate: Sendable {
    public let certificatePath: String
    public let privateKeyPath: String

    /// Makes the certificate and its key in `directory`.
    static func make(in directory: URL) async throws -> TestCertificate {
        let certificate = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        guard let openssl = ChildProcess.find("openssl") else {
            throw ChildProcess.Failure(description: "the openssl command is needed to make a test certificate")
        }
        let result = try await ChildProcess.run(
            URL(fileURLWithPath: openssl),
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "1",
                "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            ]
        )
        guard result.status == 0 else {
            throw ChildProcess.Failure(description: "openssl could not make a certificate: \(result.errorText)")
        }
        return TestCertificate(certificatePath: certificate, privateKeyPath: key)
    }
}

/// Runs `body` with a new ``TestCertificate``, and removes its files afterwards, whether `body`
/// returned or threw.
///
/// Scoped rather than tied to the value's lifetime: servers read the files by path, possibly after
/// the test's last use of the value.
public func withTestCertificate<Result>(_ body: (TestCertificate) async throws -> Result) async throws -> Result {
    try await withTemporaryDirectory("mauth-tls") { directory in
        try await body(try await TestCertificate.make(in: directory))
    }
}
