import Dispatch

/// Runs `operation` to its end from synchronous code: a fuzzer calls its target synchronously,
/// and the MAuth calls under test are async.
func blocking<Result: Sendable>(_ operation: @escaping @Sendable () async -> Result) -> Result {
    let done = DispatchSemaphore(value: 0)
    nonisolated(unsafe) var result: Result?
    Task {
        result = await operation()
        done.signal()
    }
    done.wait()
    return result!
}
