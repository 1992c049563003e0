import ArgumentParser
import BodySpool

/// Where a server keeps bodies while it authenticates or signs them.
struct SpoolOptions: ParsableArguments {
    @Option(
        help: """
            Where bodies larger than 1 MiB wait, in unnamed files, while they are authenticated or signed \\
            (default: $TMPDIR, else /tmp). Checked at start.
            """)
    var spoolDir: String?

    /// The spool, once its directory is known to be writable.
    func makeSpool() throws -> BodySpool {
        do {
            return try BodySpool(configuration: .init(directory: spoolDir ?? BodySpool.defaultDirectory))
        } catch {
            throw CommandFailure.usage("--spool-dir: \(error.message)")
        }
    }
}
