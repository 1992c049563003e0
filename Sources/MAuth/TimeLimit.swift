/// Runs `operation`, throwing `timeoutError` if it has not finished within `limit`.
///
/// HTTP clients bound the wait for a response head, not for the body after it; this bounds the
/// whole exchange, so a peer that stalls mid-body cannot hold the caller forever. The operation is
/// cancelled when the limit passes.
package func withTimeLimit<Result: Sendable>(
    _ limit: Duration,
    timeoutError: any Error & Sendable,
    _ operation: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    try await withThrowingTaskGroup(of: Result.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw timeoutError
        }
        defer { group.cancelAll() }
        guard let result = try await group.next() else { throw timeoutError }
        return result
    }
}
