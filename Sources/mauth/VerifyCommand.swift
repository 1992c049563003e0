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

    @Flag(
        help: """
            Open each signature with the public key and say what it was made over: the expected string to sign, \
            another client's form of it (named), or none known; then print the expected string to sign.
            """)
    var explain = false

    func run() async throws {
        let key: MAuthPublicKey
        do {
            key = try MAuthPublicKey(contentsOfFile: publicKeyFile)
        } catch {
            throw CommandFailure.usage(error.message)
        }
        let fields = HTTPFields(try headers.map { try HeaderArgument.parse($0, option: "--header") })
        let authenticator = MAuthAuthenticator(
            keyProvider: AnyAppKeyProvider(key: key),
            options: .init(v2Only: v2Only, clock: now.map(MAuthClock.fixed) ?? .system)
        )
        let body = try request.body()
        let status: Int32
        do {
            let identity = try await authenticator.authenticate(
                method: request.method, target: request.target, headers: fields, body: body)
            Terminal.writeLine("authentic \(identity)")
            status = 0
        } catch  where error.code == .inauthentic {
            Terminal.writeLine("inauthentic: \(error.message)")
            status = CommandFailure.failureStatus
        } catch {
            Terminal.writeLine("unable to authenticate: \(error.message)")
            status = Self.unableStatus
        }
        if explain, let explainer = authenticator.explainer {
            let explanations = try await explainer.explain(
                method: request.method, target: request.target, headers: fields, body: body)
            if explanations.isEmpty {
                Terminal.writeLine("nothing to explain: no readable MCC-Authentication or X-MWS-Authentication header")
            }
            for explanation in explanations { Terminal.writeLine(explanation.description) }
        }
        if status != 0 { throw ExitCode(status) }
    }
}

/// Answers every app UUID with the one key given on the command line.
private struct AnyAppKeyProvider: PublicKeyProvider {
    let key: MAuthPublicKey

    func publicKey(forAppUUID appUUID: String) async throws -> MAuthPublicKey? { key }
}
