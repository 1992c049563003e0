import ArgumentParser
import Foundation
import MAuth

struct KeygenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Generate an app identity: <uuid>.key (PKCS#1 private key) and <uuid>.pub (public key)."
    )

    @Option(help: "The directory to write the two files to; created when missing.")
    var out: String

    @Option(help: "The app UUID; a new random one when omitted.")
    var appUUID: String?

    @Option(help: "The RSA key size in bits.")
    var bits: Int = 2048

    func run() async throws {
        let appUUID = self.appUUID ?? UUID().uuidString.lowercased()
        guard !appUUID.isEmpty, appUUID.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }),
            appUUID.allSatisfy(\.isASCII)
        else {
            throw CommandFailure.usage("--app-uuid may hold only letters, digits, '-' and '_', not '\(appUUID)'")
        }
        let key: MAuthPrivateKey
        do {
            key = try MAuthPrivateKey.generate(bits: bits)
        } catch {
            throw CommandFailure.usage(error.message)
        }
        let identity = DevelopmentIdentityFiles(directory: out, appUUID: appUUID)
        try identity.write(key)
        Terminal.writeLine("app_uuid: \(appUUID)")
        Terminal.writeLine("private key: \(identity.privateKeyPath)")
        Terminal.writeLine("public key: \(identity.publicKeyPath)")
    }
}
