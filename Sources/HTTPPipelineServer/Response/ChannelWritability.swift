import Locking
import NIOCore

/// Whether a channel takes more writes, as its last handler sees it, for a task that must wait
/// until it does.
///
/// A channel turns unwritable when what it holds for the peer passes its high-water mark, and
/// writable again once the peer has taken it down to the low-water mark. A writer that has made
/// its channel unwritable waits for the second, not for its own write to be sent: otherwise a
/// client that stops reading could leave a write forever pending below the low-water mark, with
/// the channel writable and no write timeout running.
final class ChannelWritability: Sendable {
    private struct State {
        var writable = true
        var closed = false
        var waiters: [CheckedContinuation<Void, any Error>] = []
    }

    private let state = Locked(State())

    /// Returns once the channel is writable; throws once it has closed.
    func waitUntilWritable() async throws {
        try await withCheckedThrowingContinuation { continuation in
            let outcome = state.withLock { state -> Result<Void, any Error>? in
                if state.closed { return .failure(ChannelError.ioOnClosedChannel) }
                if state.writable { return .success(()) }
                state.waiters.append(continuation)
                return nil
            }
            if let outcome { continuation.resume(with: outcome) }
        }
    }

    /// The channel's writability changed; on its event loop.
    func changed(to writable: Bool) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            state.writable = writable
            guard writable else { return [] }
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// The channel has closed; on its event loop.
    func closed() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            state.closed = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(throwing: ChannelError.ioOnClosedChannel) }
    }
}
