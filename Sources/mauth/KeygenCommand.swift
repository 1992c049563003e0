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

    @Option(help: "The RSA key size in bits, 2048 to 16384.")
    var bits: Int = 2048

    func validate() throws {
        // Smaller keys are below what MAuth services accept, and under about 1,100 bits a key
        // cannot make V1 signatures at all.
        guard (2048...16384).contains(bits) else {
            throw ValidationError("--bits must be between 2048 and 16384, not \(bits)")
        }
    }

    func run() async throws {
        let appUUID = self.appUUID ?? UUID().uuidString.lowercased()
        // The key directories look up at most 128 characters of letters, digits, '-' and '_'.
        guard (1...128).contains(appUUID.count),
            appUUID.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        else {
            throw CommandFailure.usage(
                "--app-uuid may hold only letters, digits, '-' and '_', at most 128 of them, not '\(appUUID)'")
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
