import NIOCore
import Synchronization

/// The open connections of a server, so that a graceful shutdown can ask each to finish.
///
/// Quiescing an HTTP/1.1 connection closes it once its in-flight request has been answered (at
/// once when it is idle); quiescing an HTTP/2 connection sends GOAWAY and closes it when its open
/// streams are done.
final class ConnectionRegistry: Sendable {
    private struct State {
        var quiescing = false
        var channels: [ObjectIdentifier: any Channel] = [:]
    }

    private let state = Mutex(State())

    /// Adds a connection; one that arrives during shutdown is asked to finish straight away.
    func register(_ channel: any Channel) {
        let quiescing = state.withLock { state in
            state.channels[ObjectIdentifier(channel)] = channel
            return state.quiescing
        }
        if quiescing { Self.quiesce(channel) }
    }

    func unregister(_ channel: any Channel) {
        _ = state.withLock { $0.channels.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// Asks every connection, present and future, to finish.
    func quiesceAll() {
        let channels = state.withLock { state in
            state.quiescing = true
            return Array(state.channels.values)
        }
        for channel in channels { Self.quiesce(channel) }
    }

    /// Asks `channel` to finish if a shutdown has begun.
    func quiesceIfShuttingDown(_ channel: any Channel) {
        if state.withLock({ $0.quiescing }) { Self.quiesce(channel) }
    }

    static func quiesce(_ channel: any Channel) {
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
    }
}
