public import Foundation
import Locking
import MAuth

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

    /// The exit status, once the process has exited; -1, which no process exits with, when the
    /// waiting task is cancelled first.
    public func status() async -> Int32 {
        await exit() ?? -1
    }

    /// The exit status, or `nil` when the process still runs after `limit`.
    public func status(within limit: Duration) async -> Int32? {
        try? await withTimeLimit(limit, timeoutError: CancellationError()) { await self.exit() }
    }

    /// The exit status, or `nil` when the waiting task is cancelled first.
    private func exit() async -> Int32? {
        let waiter = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let outcome = state.withLock { state -> Int32?? in
                    if let status = state.status { return .some(status) }
                    if Task.isCancelled { return .some(nil) }
                    state.waiters[waiter] = continuation
                    return nil
                }
                if let outcome { continuation.resume(returning: outcome) }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: waiter) }?.resume(returning: nil)
        }
    }
}
