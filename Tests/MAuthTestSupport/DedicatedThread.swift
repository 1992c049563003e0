import Foundation

/// Runs blocking work — waiting on a child process, a pipe or a raw socket — on a thread of its
/// own, and resumes the caller when it is done.
///
/// The servers under test run their handlers on Swift concurrency's cooperative pool, which has
/// one thread per core. A test that blocked one of those threads while waiting for a server in the
/// same process could starve that server until some timeout fired.
public func onDedicatedThread<Result: Sendable>(_ work: @escaping @Sendable () -> Result) async -> Result {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: work()) }.start()
    }
}
