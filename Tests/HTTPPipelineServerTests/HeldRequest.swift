/// The handler of `GET /held`, which a test holds until it lets it go: the test learns that the
/// request has reached the handler, and decides when it ends, without guessing how long either
/// takes on a busy machine.
final class HeldRequest: Sendable {
    private let started = AsyncStream<Void>.makeStream()
    private let released = AsyncStream<Void>.makeStream()

    /// The handler: reports that it has started, then waits to be let go.
    func hold() async {
        started.continuation.yield()
        for await _ in released.stream {}
    }

    /// Returns once a handler has started.
    func waitUntilStarted() async {
        for await _ in started.stream { return }
    }

    /// Lets the handler, and any later one, go on.
    func release() {
        released.continuation.finish()
    }
}
