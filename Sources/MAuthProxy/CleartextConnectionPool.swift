import AsyncHTTPClient
import Locking
import NIOCore
import NIOPosix

/// The keep-alive connections to one cleartext upstream: at most a fixed number open, idle ones
/// reused, and requests that find them all busy waiting their turn for a bounded time.
final class CleartextConnectionPool: Sendable {
    /// A request waiting for a connection.
    private struct Waiter {
        let id: Int
        let continuation: CheckedContinuation<Step, any Error>
    }

    private struct State {
        var idle: [UpstreamConnection] = []
        var open = 0
        var waiters: [Waiter] = []
        var nextWaiter = 0
    }

    /// How a request gets its connection: an idle one, or a place to open its own.
    private enum Step {
        case reuse(UpstreamConnection)
        case open
    }

    let host: String
    let port: Int
    let maximumConnections: Int
    let connectionWait: TimeAmount
    let readTimeout: TimeAmount
    private let state = Locked(State())

    init(host: String, port: Int, maximumConnections: Int, connectionWait: TimeAmount, readTimeout: TimeAmount) {
        self.host = host
        self.port = port
        self.maximumConnections = maximumConnections
        self.connectionWait = connectionWait
        self.readTimeout = readTimeout
    }

    /// A connection for one exchange, and whether it carried an earlier one; give it back with
    /// ``release(_:reusable:)``.
    ///
    /// - Throws: `HTTPClientError.getConnectionFromPoolTimeout` when every connection stayed busy
    ///   for the connection wait; the connection's own error when one cannot be opened.
    func acquire() async throws -> (UpstreamConnection, reused: Bool) {
        var step = state.withLock { takeStep(in: &$0) }
        if step == nil { step = try await wait() }
        switch step {
        case .reuse(let connection)?:
            return (connection, true)
        case .open?, nil:
            return (try await open(), false)
        }
    }

    /// An idle connection, or a place to open one; `nil` when there is neither.
    private func takeStep(in state: inout State) -> Step? {
        while let connection = state.idle.popLast() {
            if connection.isActive { return .reuse(connection) }
            state.open -= 1
        }
        guard state.open < maximumConnections else { return nil }
        state.open += 1
        return .open
    }

    /// Takes back a connection after its exchange: it serves a waiting request or waits idle when
    /// `reusable`, else it is closed and its place goes to a waiting request.
    func release(_ connection: UpstreamConnection, reusable: Bool) {
        let keep = reusable && connection.isActive
        if !keep { connection.close() }
        let woken = state.withLock { state -> (Waiter, UpstreamConnection?)? in
            guard !state.waiters.isEmpty else {
                if keep { state.idle.append(connection) } else { state.open -= 1 }
                return nil
            }
            return (state.waiters.removeFirst(), keep ? connection : nil)
        }
        if let (waiter, handed) = woken { waiter.continuation.resume(returning: handed.map(Step.reuse) ?? .open) }
    }

    /// Closes every idle connection.
    func closeIdle() {
        let idle = state.withLock { state in
            defer {
                state.open -= state.idle.count
                state.idle = []
            }
            return state.idle
        }
        for connection in idle { connection.close() }
    }

    private func open() async throws -> UpstreamConnection {
        do {
            let eventLoop = MultiThreadedEventLoopGroup.currentEventLoop ?? MultiThreadedEventLoopGroup.singleton.next()
            return try await UpstreamConnection.connect(
                host: host, port: port, on: eventLoop, connectTimeout: connectionWait, readTimeout: readTimeout)
        } catch {
            // The place this request held goes to the next waiting one, which tries in its turn.
            let waiter = state.withLock { state -> Waiter? in
                guard !state.waiters.isEmpty else {
                    state.open -= 1
                    return nil
                }
                return state.waiters.removeFirst()
            }
            waiter?.continuation.resume(returning: .open)
            throw error
        }
    }

    /// Waits for a connection to come free, at most the connection wait.
    private func wait() async throws -> Step {
        try await withCheckedThrowingContinuation { continuation in
            // Looked at again under the lock: a connection may have come free meanwhile.
            let ready = state.withLock { state -> Step? in
                if let step = takeStep(in: &state) { return step }
                state.nextWaiter += 1
                let id = state.nextWaiter
                state.waiters.append(Waiter(id: id, continuation: continuation))
                let eventLoop =
                    MultiThreadedEventLoopGroup.currentEventLoop ?? MultiThreadedEventLoopGroup.singleton.next()
                eventLoop.scheduleTask(in: connectionWait) { [weak self] in self?.expire(waiter: id) }
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    private func expire(waiter id: Int) {
        let expired = state.withLock { state -> Waiter? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
        expired?.continuation.resume(throwing: HTTPClientError.getConnectionFromPoolTimeout)
    }
}
