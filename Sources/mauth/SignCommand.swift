import ArgumentParser
import HTTPTypes
import MAuth

struct SignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Print the MAuth headers for a request, one 'Name: value' line each."
    )

    @Option(name: .customLong("protocol"), help: "v1, v2 or v1,v2.")
    var versions: String = "v1"

    @Option(help: "The app's PEM private key (PKCS#1 or PKCS#8).")
    var privateKeyFile: String

    @Option(help: "The app's UUID.")
    var appUUID: String

    @Option(help: "The signing time, in seconds since the Unix epoch; now when omitted.")
    var time: Int64?

    @OptionGroup var request: RequestOptions

    func run() async throws {
        let versions: [MAuthProtocolVersion]
        let key: MAuthPrivateKey
        let signer: MAuthSigner
        do {
            versions = try MAuthProtocolVersion.list(from: self.versions)
            key = try MAuthPrivateKey(contentsOfFile: privateKeyFile)
            signer = try MAuthSigner(
                appUUID: appUUID,
                privateKey: key,
                versions: versions,
                clock: time.map(MAuthClock.fixed) ?? .system
            )
        } catch {
            throw CommandFailure.usage(error.message)
        }
        let fields = try signer.headers(method: request.method, target: request.target, body: try request.body())
        for field in fields {
            Terminal.writeLine("\(field.name.rawName): \(field.value)")
        }
    }
}
