import ArgumentParser
import MAuthConformance

struct ConformanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conformance",
        abstract: "Run every case of a copy of the MAuth protocol test suite.",
        discussion: "Prints a line per case and per failed check, then 'N passed, M failed'."
    )

    @Argument(help: "The suite's root directory (it holds signing-config.json and protocols/).")
    var directory: String

    func run() async throws {
        let suite: ConformanceSuite
        do {
            suite = try ConformanceSuite(directory: directory)
        } catch {
            throw CommandFailure.usage("cannot load the suite: \(error.message)")
        }
        var passed = 0
        var failed = 0
        for result in await suite.run() {
            if result.passed {
                passed += 1
                Terminal.writeLine("ok    \(result.testCase) (\(result.checks.joined(separator: ", ")))")
            } else {
                failed += 1
                Terminal.writeLine("FAIL  \(result.testCase)")
                for failure in result.failures {
                    Terminal.writeLine("      \(failure)")
                }
            }
        }
        Terminal.writeLine("\(passed) passed, \(failed) failed")
        if failed > 0 {
            throw ExitCode(CommandFailure.failureStatus)
        }
    }
}
