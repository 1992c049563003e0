import ArgumentParser
import MAuthMiddleware

/// The body limit of a command that authenticates requests (`serve`, `gate`).
struct AuthenticatedBodyOptions: ParsableArguments {
    @Option(
        help: """
            The largest request body, in bytes. Bodies are authenticated as they stream and kept in \
            --spool-dir beyond 1 MiB, so a larger limit does not cost memory.
            """)
    var maxBodySize = MAuthMiddleware.defaultMaxBodySize

    func validate() throws {
        guard maxBodySize > 0 else { throw ValidationError("--max-body-size must be positive") }
    }
}
