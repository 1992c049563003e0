public import Foundation
import Locking

/// The exit of a child process, awaited through its termination handler: no thread blocks in
/// `waitUntilExit()`, which can hang under ThreadSanitizer.
public final class ProcessExit: Sendable {
    private struct State {
        var status: Int32?
        var waiters: [Int: CheckedContinuation<Int32?, Never>] = [:]
        var nextWaiter = 0
    }

    private let state = Locked(State())

    /// Watches `process`; create it before `process.run()`, so that no exit goes unseen.
    public init(watching process: Process) {
        process.terminationHandler = { [self] process in
            let status = process.terminationStatus
            let waiters = state.withLock { state in
                state.status = status
                defer { state.waiters = [:] }
                return Array(state.waiters.values)
            }
            for waiter in waiters { waiter.resume(returning: status) }
        }
    }

    /// The exit status, once the process has exited.
    public func status() async -> Int32 {
        // Without a time limit the wait ends only with the process.
        await status(within: nil)!
    }

    /// The exit status, or `nil` when the process still runs after `limit`.
    public func status(within limit: Duration?) async -> Int32? {
        await withCheckedContinuation { continuation in
            let (status, waiter) = state.withLock { state -> (Int32?, Int?) in
                if let status = state.status { return (status, nil) }
                let waiter = state.nextWaiter
                state.nextWaiter += 1
                state.waiters[waiter] = continuation
                return (nil, waiter)
            }
            guard let waiter else {
                continuation.resume(returning: status)
                return
            }
            guard let limit else { return }
            Task { [self] in
                try? await Task.sleep(for: limit)
                state.withLock { $0.waiters.removeValue(forKey: waiter) }?.resume(returning: nil)
            }
        }
    }
}
