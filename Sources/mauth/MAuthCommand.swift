import ArgumentParser
import Foundation

@main
struct MAuthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mauth",
        abstract: "Sign, verify and test MAuth (MWS/MWSV2) request signatures.",
        subcommands: [
            StringToSignCommand.self,
            SignCommand.self,
            VerifyCommand.self,
            KeygenCommand.self,
            ConformanceCommand.self,
            ServeCommand.self,
            ServiceCommand.self,
            RequestCommand.self,
            ProxyCommand.self,
            GateCommand.self,
        ]
    )

    /// Runs the command with this tool's exit statuses: 2 for usage errors (ArgumentParser's own
    /// default is 64) and each command's ``CommandFailure`` status otherwise.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let failure as CommandFailure {
            // One line, whatever the message quotes (a service's HTML error page, say).
            let line = failure.message.map { $0.isNewline || $0 == "\t" ? " " : String($0) }.joined()
            Terminal.writeError("mauth: \(line)")
            Foundation.exit(failure.exitStatus)
        } catch {
            if exitCode(for: error) == .validationFailure {
                Terminal.writeError(fullMessage(for: error))
                Foundation.exit(CommandFailure.usageStatus)
            }
            exit(withError: error)
        }
    }
}
