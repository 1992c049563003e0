import ArgumentParser
import Foundation
import HTTPTypes
import MAuth

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the MAuth signature of a request against a public key.",
        discussion: """
            Prints 'authentic app_uuid=<uuid> protocol=v1|v2' and exits 0, or 'inauthentic: <reason>' \
            and exits 1. Exits 2 for usage errors and 3 when authenticity cannot be determined.
            """
    )

    static let unableStatus: Int32 = 3

    @Option(help: "The signer's PEM public key (SubjectPublicKeyInfo or PKCS#1).")
    var publicKeyFile: String

    @OptionGroup var request: RequestOptions

    @Option(name: .customLong("header"), help: "A received header as 'Name: value'; repeat for each header.")
    var headers: [String] = []

    @Option(help: "The authenticator's current time, in seconds since the Unix epoch; now when omitted.")
    var now: Int64?

    @Flag(help: "Reject V1-only requests and never fall back to V1.")
    var v2Only = false

    func run() async throws {
        let key: MAuthPublicKey
        do {
            key = try MAuthPublicKey(contentsOfFile: publicKeyFile)
        } catch {
            throw CommandFailure.usage(error.message)
        }
        var fields = HTTPFields()
        for header in headers {
            guard let colon = header.firstIndex(of: ":"),
                let name = HTTPField.Name(String(header[..<colon]).trimmingCharacters(in: .whitespaces))
            else {
                throw CommandFailure.usage("--header must look like 'Name: value', not '\(header)'")
            }
            fields.append(
                HTTPField(
                    name: name,
                    value: String(header[header.index(after: colon)...]).trimmingCharacters(in: .whitespaces)))
        }
        let authenticator = MAuthAuthenticator(
            keyProvider: AnyAppKeyProvider(key: key),
            options: .init(v2Only: v2Only, clock: now.map(MAuthClock.fixed) ?? .system)
        )
        do {
            let identity = try await authenticator.authenticate(
                method: request.method,
                target: request.target,
                headers: fields,
                body: try request.body()
            )
            Terminal.writeLine("authentic \(identity)")
        } catch let error as MAuthError where error.code == .inauthentic {
            Terminal.writeLine("inauthentic: \(error.message)")
            throw ExitCode(CommandFailure.failureStatus)
        } catch let error as MAuthError {
            Terminal.writeLine("unable to authenticate: \(error.message)")
            throw ExitCode(Self.unableStatus)
        }
    }
}

/// Answers every app UUID with the one key given on the command line.
private struct AnyAppKeyProvider: PublicKeyProvider {
    let key: MAuthPublicKey

    func publicKey(forAppUUID appUUID: String) async throws -> MAuthPublicKey? { key }
}
