import ArgumentParser
import MAuth

struct StringToSignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "string-to-sign",
        abstract: "Print the exact bytes MAuth signs for a request, and nothing else."
    )

    @Option(name: .customLong("protocol"), help: "v1 or v2.")
    var version: MAuthProtocolVersion

    @OptionGroup var request: RequestOptions

    @Option(help: "The signer's app UUID.")
    var appUUID: String

    @Option(help: "The signing time, in seconds since the Unix epoch.")
    var time: Int64

    func run() async throws {
        Terminal.write(
            MAuthStringToSign.request(
                version: version,
                method: request.method,
                target: request.target,
                body: try request.body(),
                appUUID: appUUID,
                time: String(time)
            )
        )
    }
}
