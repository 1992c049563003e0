import Locking

/// The tasks that serve an HTTP/2 connection's streams, one each.
///
/// A stream's task is started by its connection's ``HTTP2StreamsHandler``, so that the stream's
/// reset (by the client, or after a timeout) can cancel it; the connection's own task keeps them in
/// its structure by waiting for all of them before it ends, and cancelling them when it is
/// cancelled.
final class HTTP2StreamTasks: Sendable {
    private struct State {
        var running: [Int: Task<Void, Never>] = [:]
        var nextID = 0
        var cancelled = false
        var idle: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Locked(State())
    private let executor: EventLoopTaskExecutor

    /// Tasks that run on `executor`, the connection's event loop.
    init(executor: EventLoopTaskExecutor) {
        self.executor = executor
    }

    /// Starts `operation` as a stream's task.
    func start(_ operation: @escaping @Sendable () async -> Void) -> Task<Void, Never> {
        state.withLock { state in
            let id = state.nextID
            state.nextID += 1
            let task = Task(executorPreference: executor) {
                await operation()
                self.finished(id)
            }
            if state.cancelled { task.cancel() }
            state.running[id] = task
            return task
        }
    }

    private func finished(_ id: Int) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.running[id] = nil
            guard state.running.isEmpty else { return [] }
            defer { state.idle = [] }
            return state.idle
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Waits until every task has finished, cancelling them all if the waiting task is
    /// cancelled.
    func waitForAll() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let done = state.withLock { state in
                    guard !state.running.isEmpty else { return true }
                    state.idle.append(continuation)
                    return false
                }
                if done { continuation.resume() }
            }
        } onCancel: {
            cancelAll()
        }
    }

    /// Cancels every task, and those started later.
    func cancelAll() {
        let running = state.withLock { state in
            state.cancelled = true
            return Array(state.running.values)
        }
        for task in running { task.cancel() }
    }
}
